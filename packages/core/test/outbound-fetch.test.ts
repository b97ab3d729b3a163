import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { type AddressInfo, getDefaultAutoSelectFamily, isIP, setDefaultAutoSelectFamily } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AddressPolicy, createAddressPolicy, createOutboundFetch } from "../src/index.js";

// The outbound fetch's rules, each at its bound, against a real local server: redirects counted to
// the limit, the body size to the byte, what the policy is asked (host, address, port), how statuses
// and headers come back, and which failure is which (outbound.test.ts covers the basics).
let server: Server;
let port: number;
let base: string;
let closedPort: number;
/** Called when the server's answer on that path is closed (read to its end, or dropped by the client). */
const closed = new Map<string, () => void>();
const closing = (path: string) => new Promise<void>((resolve) => closed.set(path, resolve));
const seen: { method: string | undefined; headers: Record<string, unknown>; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      seen.push({ method: req.method, headers: req.headers, body });
      const hops = Number(url.searchParams.get("hops") ?? "0");
      if (url.pathname === "/redirect")
        res.writeHead(302, { location: hops > 0 ? `/redirect?hops=${hops - 1}` : "/json" }).end();
      else if (url.pathname === "/json") res.end(JSON.stringify({ ok: true }));
      else if (url.pathname === "/bytes") res.end("x".repeat(Number(url.searchParams.get("n"))));
      else if (url.pathname === "/status") {
        const status = Number(url.searchParams.get("s"));
        res
          .writeHead(status, { "x-multi": ["a", "b"], location: "" })
          .end(status === 204 ? undefined : "body");
      } else if (url.pathname === "/moved") {
        // A status with a location: only 3xx statuses are redirects.
        res.writeHead(Number(url.searchParams.get("s")), { location: "/json" }).end("moved");
      } else if (url.pathname === "/cut") {
        // Promises more than it sends, then drops the connection: the body ends in an error.
        res.writeHead(200, { "content-length": "100" });
        res.write("partial");
        setImmediate(() => res.socket?.destroy());
      } else if (url.pathname === "/endless" || url.pathname === "/redirect-big") {
        // More than any socket buffer holds: the answer ends only when the client reads or drops it.
        res.on("close", () => closed.get(url.pathname)?.());
        if (url.pathname === "/redirect-big") {
          res.writeHead(302, { location: "/json" }).end("x".repeat(8 * 1024 * 1024));
          return;
        }
        const pump = () => {
          while (!res.destroyed && res.write("x".repeat(65536)));
        };
        res.on("drain", pump);
        pump();
      } else if (url.pathname === "/redirect-without-location") res.writeHead(302).end("moved");
      else if (url.pathname === "/hang") return;
      else res.writeHead(404).end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  // A port nobody listens on: take one, then close it.
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const loopback = createAddressPolicy(["127.0.0.1", "localhost"]);

describe("outbound fetch at its bounds", () => {
  it("follows exactly maxRedirects same-origin redirects (default 3), not one more", async () => {
    const fetch = createOutboundFetch({ policy: loopback });
    // hops=2: three redirects in all (2, 1, 0, then /json).
    expect(await (await fetch(`${base}/redirect?hops=2`)).json()).toEqual({ ok: true });
    await expect(fetch(`${base}/redirect?hops=3`)).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      upstreamClass: "network",
      message: "Too many outbound redirects",
    });
    const one = createOutboundFetch({ policy: loopback, maxRedirects: 1 });
    expect((await one(`${base}/redirect?hops=0`)).status).toBe(200);
    await expect(one(`${base}/redirect?hops=1`)).rejects.toMatchObject({ code: "UPSTREAM_ERROR" });
    const none = createOutboundFetch({ policy: loopback, maxRedirects: 0 });
    await expect(none(`${base}/redirect?hops=0`)).rejects.toMatchObject({ code: "UPSTREAM_ERROR" });
  });

  it("takes a body of exactly maxResponseBytes (default 1 MiB), not one byte more", async () => {
    const fetch = createOutboundFetch({ policy: loopback });
    const mib = 1024 * 1024;
    expect((await (await fetch(`${base}/bytes?n=${mib}`)).arrayBuffer()).byteLength).toBe(mib);
    await expect(fetch(`${base}/bytes?n=${mib + 1}`)).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      upstreamClass: "invalid_response",
    });
    const small = createOutboundFetch({ policy: loopback, maxResponseBytes: 10 });
    expect(await (await small(`${base}/bytes?n=10`)).text()).toBe("x".repeat(10));
    await expect(small(`${base}/bytes?n=11`)).rejects.toMatchObject({ code: "UPSTREAM_ERROR" });
  });

  it("drops an answer past its size bound, and reads a redirect's body away, at once, not at the deadline", async () => {
    const fetch = createOutboundFetch({ policy: loopback, timeoutMs: 60_000, maxResponseBytes: 1000 });
    const endless = closing("/endless");
    await expect(fetch(`${base}/endless`)).rejects.toMatchObject({ upstreamClass: "invalid_response" });
    await endless; // an endless body would otherwise be read until the deadline
    const redirect = closing("/redirect-big");
    expect(await (await fetch(`${base}/redirect-big`)).json()).toEqual({ ok: true });
    await redirect; // an unread body would hold the connection until the deadline
  });

  it("answers a redirect without a location as it is, and keeps statuses and repeated headers", async () => {
    const fetch = createOutboundFetch({ policy: loopback });
    const moved = await fetch(`${base}/redirect-without-location`);
    expect(moved.status).toBe(302);
    expect(await moved.text()).toBe("moved");
    const created = await fetch(`${base}/status?s=201`);
    expect(created.status).toBe(201);
    expect(created.headers.get("x-multi")).toBe("a, b");
    expect(await created.text()).toBe("body");
    const empty = await fetch(`${base}/status?s=204`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const broken = await fetch(`${base}/status?s=599`);
    expect(broken.status).toBe(599);
    expect(await broken.text()).toBe("body");
    // A redirect status with an empty location is no redirect either.
    expect((await fetch(`${base}/status?s=307`)).status).toBe(307);
  });

  it("follows a location on 300 to 399 only, and keeps a status past 599 in fetch's range", async () => {
    const fetch = createOutboundFetch({ policy: loopback });
    for (const status of [300, 399])
      expect(await (await fetch(`${base}/moved?s=${status}`)).json(), String(status)).toEqual({ ok: true });
    for (const status of [299, 400]) {
      const answer = await fetch(`${base}/moved?s=${status}`);
      expect(answer.status, String(status)).toBe(status);
      expect(await answer.text()).toBe("moved");
    }
    // Node reads any three-digit status; a Response holds 200 to 599.
    const odd = await fetch(`${base}/status?s=700`);
    expect(odd.status).toBe(599);
    expect(await odd.text()).toBe("body");
    const notModified = await fetch(`${base}/status?s=304`);
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBeNull();
  });

  it("answers a body cut short as a network failure at once, not at the deadline", async () => {
    const fetch = createOutboundFetch({ policy: loopback, timeoutMs: 60_000 });
    await expect(fetch(`${base}/cut`)).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      upstreamClass: "network",
    });
  });

  it("answers a name that does not resolve as unreachable, with the words of a refused one", async () => {
    // `.invalid` never resolves (RFC 6761); the policy allows it, so only DNS can fail.
    const fetch = createOutboundFetch({ policy: createAddressPolicy(["no-such-host.invalid"]) });
    const failure = await fetch("http://no-such-host.invalid/").catch((error) => error);
    expect(failure).toMatchObject({ code: "OUTBOUND_REFUSED" });
    const refused = await createOutboundFetch({ policy: createAddressPolicy() })(
      "http://no-such-host.invalid/",
    ).catch((error) => error);
    expect(failure.message).toBe(refused.message);
  });

  it("sends the method, headers and body it is given, with the body's length in bytes", async () => {
    const fetch = createOutboundFetch({ policy: loopback });
    seen.length = 0;
    await fetch(`${base}/json`, { method: "POST", body: "é=1", headers: { "X-Custom": "v" } });
    expect(seen[0]).toMatchObject({ method: "POST", body: "é=1" });
    expect(seen[0]?.headers).toMatchObject({ "content-length": "4", "x-custom": "v" });
    await fetch(`${base}/json`);
    expect(seen[1]?.method).toBe("GET");
    expect(seen[1]?.headers["content-length"]).toBeUndefined();
  });

  it("asks the policy about the host, every address it resolves to, and the port (80 and 443 by default)", async () => {
    const asked: [string, string, number | undefined][] = [];
    const policy: AddressPolicy = {
      allows: (hostname, address, p) => {
        asked.push([hostname, address, p]);
        return true;
      },
    };
    const fetch = createOutboundFetch({ policy });
    await fetch(`http://localhost:${port}/json`);
    expect(asked).toContainEqual(["localhost", "127.0.0.1", port]);
    expect(asked.every(([host, , p]) => host === "localhost" && p === port)).toBe(true);
    // A name is never asked about as if it were an address: only what it resolves to is.
    expect(asked.every(([, address]) => isIP(address) !== 0)).toBe(true);
    // A literal address is checked before anything is sent, on the scheme's default port.
    const refuseAll: AddressPolicy = {
      allows: (hostname, address, p) => {
        asked.push([hostname, address, p]);
        return false;
      },
    };
    const strict = createOutboundFetch({ policy: refuseAll });
    asked.length = 0;
    await expect(strict("http://127.0.0.9/")).rejects.toMatchObject({ code: "OUTBOUND_REFUSED" });
    await expect(strict("https://127.0.0.9/")).rejects.toMatchObject({ code: "OUTBOUND_REFUSED" });
    await expect(strict("http://[::1]:8080/")).rejects.toMatchObject({ code: "OUTBOUND_REFUSED" });
    expect(asked).toEqual([
      ["127.0.0.9", "127.0.0.9", 80],
      ["127.0.0.9", "127.0.0.9", 443],
      ["::1", "::1", 8080],
    ]);
    // A name is checked on every address it resolves to, at connect time.
    asked.length = 0;
    await expect(strict(`http://localhost:${port}/json`)).rejects.toMatchObject({
      code: "OUTBOUND_REFUSED",
    });
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every(([host]) => host === "localhost")).toBe(true);
  });

  it("connects by name whether Node asks its lookup for every address or for one", async () => {
    // Node 20 asks for every address (family autoselection); with it turned off (an embedding process
    // may), for one: the guarded lookup answers both shapes.
    const fetch = createOutboundFetch({ policy: loopback });
    const autoSelect = getDefaultAutoSelectFamily();
    try {
      for (const on of [true, false]) {
        setDefaultAutoSelectFamily(on);
        expect(await (await fetch(`http://localhost:${port}/json`)).json(), String(on)).toEqual({ ok: true });
      }
    } finally {
      setDefaultAutoSelectFamily(autoSelect);
    }
  });

  it("answers an allowed address that refuses the connection as unreachable, like a refused one", async () => {
    const fetch = createOutboundFetch({ policy: loopback });
    const failure = await fetch(`http://127.0.0.1:${closedPort}/`).catch((error) => error);
    expect(failure).toMatchObject({ code: "OUTBOUND_REFUSED" });
    expect(failure.cause).toBeDefined();
    const refused = await createOutboundFetch({ policy: createAddressPolicy() })(
      `http://127.0.0.1:${closedPort}/`,
    ).catch((error) => error);
    expect(refused.message).toBe(failure.message); // the same words: a tenant cannot tell them apart
    // The same by name (refused at lookup), and for an IPv6 literal (named without its brackets).
    const strict = createOutboundFetch({ policy: createAddressPolicy() });
    const byName = `http://localhost:${closedPort}/`;
    const namedFailure = await fetch(byName).catch((error) => error);
    expect((await strict(byName).catch((error) => error)).message).toBe(namedFailure.message);
    expect(namedFailure.message).toContain("localhost");
    const v6 = `http://[::1]:${closedPort}/`;
    const v6Failure = await createOutboundFetch({ policy: createAddressPolicy(["::1"]) })(v6).catch((e) => e);
    expect(v6Failure).toMatchObject({ code: "OUTBOUND_REFUSED" });
    expect((await strict(v6).catch((error) => error)).message).toBe(v6Failure.message);
    expect(v6Failure.message).toContain(" ::1 ");
    await expect(fetch("ftp://127.0.0.1/")).rejects.toMatchObject({
      code: "OUTBOUND_REFUSED",
      message: expect.stringContaining("ftp:"),
    });
    // https is spoken over TLS: a plain HTTP server cannot answer it.
    await expect(fetch(`https://127.0.0.1:${port}/json`)).rejects.toMatchObject({ code: "OUTBOUND_REFUSED" });
  });

  it("ends a request at its deadline or at the caller's abort, as a timeout", async () => {
    const fetch = createOutboundFetch({ policy: loopback, timeoutMs: 200 });
    await expect(fetch(`${base}/hang`)).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      upstreamClass: "timeout",
    });
    // Node's AbortError carries the signal's reason.
    await expect(fetch(`${base}/hang`)).rejects.toMatchObject({ cause: { cause: { name: "TimeoutError" } } });
    const caller = new AbortController();
    const pending = createOutboundFetch({ policy: loopback })(`${base}/hang`, { signal: caller.signal });
    const gone = new Error("caller gone");
    caller.abort(gone);
    // Ended by the caller's signal, not by the 5 s default deadline.
    await expect(pending).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      upstreamClass: "timeout",
      cause: { cause: gone },
    });
  });
});

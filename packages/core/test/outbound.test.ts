import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAddressPolicy, createOutboundFetch, isNonPublicAddress } from "../src/index.js";

let server: Server;
let base: string;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/json") res.end(JSON.stringify({ ok: true, method: req.method }));
    else if (req.url === "/big") res.end("x".repeat(10_000));
    else if (req.url === "/hang")
      return; // never answers
    else if (req.url === "/same-origin") res.writeHead(302, { location: "/json" }).end();
    else if (req.url === "/other-host")
      res.writeHead(302, { location: `http://localhost:${port}/json` }).end();
    else res.writeHead(404).end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("address policy", () => {
  it.each([
    ["127.0.0.1", true],
    ["10.1.2.3", true],
    ["172.16.0.1", true],
    ["172.32.0.1", false],
    ["192.168.1.1", true],
    ["169.254.169.254", true],
    ["100.64.0.1", true],
    ["0.0.0.0", true],
    ["8.8.8.8", false],
    ["::1", true],
    ["fe80::1", true],
    ["fd12::1", true],
    ["::ffff:127.0.0.1", true],
    ["::ffff:7f00:1", true],
    ["::ffff:8.8.8.8", false],
    ["2001:4860:4860::8888", false],
    ["not-an-ip", true],
  ])("%s is non-public: %s", (address, expected) => {
    expect(isNonPublicAddress(address)).toBe(expected);
  });

  it("allows listed hosts, addresses and CIDRs only", () => {
    const policy = createAddressPolicy(["127.0.0.1", "10.0.0.0/8", "auth.internal"]);
    expect(policy.allows("x", "127.0.0.1")).toBe(true);
    expect(policy.allows("x", "127.0.0.2")).toBe(false);
    expect(policy.allows("x", "10.9.9.9")).toBe(true);
    expect(policy.allows("auth.internal", "192.168.0.9")).toBe(true);
    expect(policy.allows("x", "8.8.8.8")).toBe(true);
    expect(() => createAddressPolicy(["10.0.0.0/99"])).toThrow(/not a host name/);
  });
});

describe("outbound fetch", () => {
  it("refuses loopback unless allowed, by address and by name", async () => {
    const strict = createOutboundFetch({ policy: createAddressPolicy() });
    await expect(strict(`${base}/json`)).rejects.toMatchObject({ code: "OUTBOUND_REFUSED" });
    await expect(strict(`http://localhost:${port}/json`)).rejects.toMatchObject({ code: "OUTBOUND_REFUSED" });
    await expect(strict("file:///etc/passwd")).rejects.toMatchObject({ code: "OUTBOUND_REFUSED" });
    const open = createOutboundFetch({ policy: createAddressPolicy(["127.0.0.1"]) });
    const res = await open(`${base}/json`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(await res.json()).toEqual({ ok: true, method: "POST" });
  });

  it("follows same-origin redirects only", async () => {
    const fetch = createOutboundFetch({ policy: createAddressPolicy(["127.0.0.1", "localhost"]) });
    expect(await (await fetch(`${base}/same-origin`)).json()).toEqual({ ok: true, method: "GET" });
    await expect(fetch(`${base}/other-host`)).rejects.toMatchObject({
      code: "OUTBOUND_REFUSED",
      message: expect.stringContaining("another host"),
    });
  });

  it("bounds the response size and the time", async () => {
    const fetch = createOutboundFetch({
      policy: createAddressPolicy(["127.0.0.1"]),
      maxResponseBytes: 1000,
      timeoutMs: 300,
    });
    await expect(fetch(`${base}/big`)).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      message: expect.stringContaining("larger"),
    });
    const started = Date.now();
    await expect(fetch(`${base}/hang`)).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      message: expect.stringContaining("timed out"),
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("address normalisation and port-limited entries (issue 10)", () => {
  it("checks every spelling of a non-public address as that address", () => {
    for (const address of [
      "::7f00:1",
      "::127.0.0.1",
      "::ffff:0:127.0.0.1",
      "::ffff:0:7f00:1",
      "::ffff:127.0.0.1",
      "0:0:0:0:0:ffff:7f00:1",
      "64:ff9b::a9fe:a9fe",
      "2002:a9fe:a9fe::1",
      "2001:0:4136:e378::1",
      "::1",
      "[::1]",
    ])
      expect(isNonPublicAddress(address), address).toBe(true);
    for (const address of ["8.8.8.8", "::ffff:8.8.8.8", "64:ff9b::808:808", "2001:4860:4860::8888"])
      expect(isNonPublicAddress(address), address).toBe(false);
  });

  it("limits an entry with a port to that port", () => {
    const policy = createAddressPolicy(["auth.internal:8443", "127.0.0.1:9000", "[::1]:9001", "10.0.0.0/8"]);
    expect(policy.allows("auth.internal", "10.1.2.3", 1)).toBe(true); // the CIDR has no port limit
    expect(policy.allows("auth.internal", "192.168.1.1", 8443)).toBe(true);
    expect(policy.allows("auth.internal", "192.168.1.1", 22)).toBe(false);
    expect(policy.allows("x", "127.0.0.1", 9000)).toBe(true);
    expect(policy.allows("x", "::ffff:127.0.0.1", 9000)).toBe(true);
    expect(policy.allows("x", "127.0.0.1", 9001)).toBe(false);
    expect(policy.allows("x", "::1", 9001)).toBe(true);
    expect(policy.allows("x", "127.0.0.1")).toBe(false);
    expect(() => createAddressPolicy(["host:99999"])).toThrow(/not a host name/);
  });
});

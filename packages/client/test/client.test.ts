import { type AddressInfo, createServer } from "node:net";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CreateCredentialInput, CredkitApiError, createCredkitClient } from "../src/index.js";
import { checkedFetch, startCredkit, tokens } from "./support/server.js";

const secret = "CLIENT-TEST-SECRET-7f3a9c";
const bearerTarget = (name: string): CreateCredentialInput => ({
  credentialName: name,
  credentialType: "target",
  authType: "bearer",
  region: "eu-west-1",
  secret: { token: secret },
});
const uniqueClient = () => `c-${crypto.randomUUID().slice(0, 8)}`;

let credkit: Awaited<ReturnType<typeof startCredkit>>;
beforeAll(async () => {
  credkit = await startCredkit();
});
afterAll(() => credkit.stop());

const clientFor = (
  token: string,
  extra: Parameters<typeof createCredkitClient>[0] extends infer O ? Partial<O> : never = {},
) => createCredkitClient({ baseUrl: credkit.baseUrl, token, fetch: checkedFetch, ...extra });

describe("@credkit/client against the real server", () => {
  it("creates, reads, lists, updates (compare-and-set) and deletes, never seeing the secret", async () => {
    const client = clientFor(tokens.admin);
    const clientId = uniqueClient();
    const created = await client.createCredential(clientId, bearerTarget("upstream"));
    expect(created.replayed).toBe(false);
    expect(created.credential).toMatchObject({
      clientId,
      credentialName: "upstream",
      credentialAuthType: "bearer",
    });
    const id = created.credential.credentialId;

    const read = await client.getCredential(clientId, id);
    expect(read.credentialVersion).toBe(created.credential.credentialVersion);
    const page = await client.listCredentials(clientId);
    expect(page.credentials.map((c) => c.credentialId)).toEqual([id]);

    const updated = await client.updateCredential(
      clientId,
      id,
      { credentialName: "renamed" },
      { ifMatch: read.credentialVersion },
    );
    expect(updated.credential.credentialName).toBe("renamed");
    const stale = await client
      .updateCredential(clientId, id, { credentialName: "lost" }, { ifMatch: read.credentialVersion })
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(CredkitApiError);
    expect(stale).toMatchObject({ status: 412, code: "VERSION_CONFLICT" });

    await client.deleteCredential(clientId, id);
    const gone = await client.getCredential(clientId, id).catch((e: unknown) => e);
    expect(gone).toMatchObject({ status: 404, code: "NOT_FOUND" });
    expect(JSON.stringify([created, read, page, updated])).not.toContain(secret);
  });

  it("throws one error class naming the fields at fault, and 401/403 by code", async () => {
    const client = clientFor(tokens.admin);
    const bad = await client
      .createCredential("acme", { ...bearerTarget("x"), credentialName: "", secret: { token: 42 } } as never)
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(CredkitApiError);
    const error = bad as CredkitApiError;
    expect(error).toMatchObject({ status: 400, code: "VALIDATION_ERROR" });
    expect(error.errors.map((e) => e.path)).toEqual(expect.arrayContaining(["credentialName"]));
    expect(error.retryAfterSeconds).toBeUndefined();

    const anonymous = await clientFor("not-a-token-0123456789")
      .listCredentials("acme")
      .catch((e: unknown) => e);
    expect(anonymous).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    const other = await clientFor(tokens.acme)
      .listCredentials("globex")
      .catch((e: unknown) => e);
    expect(other).toMatchObject({ status: 403, code: "FORBIDDEN" });
  });

  it("iterates every page of a list", async () => {
    const client = clientFor(tokens.admin);
    const clientId = uniqueClient();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await client.createCredential(clientId, bearerTarget(`n${i}`))).credential.credentialId);
    const pages: number[] = [];
    for await (const page of client.listPages(clientId, { limit: 2 })) pages.push(page.credentials.length);
    expect(pages).toEqual([2, 2, 1]);
    const all: string[] = [];
    for await (const credential of client.listAll(clientId, { limit: 2 })) all.push(credential.credentialId);
    expect(all.sort()).toEqual(ids.sort());
  });

  it("verifies, resolves and invalidates (resolve needs the resolve scope)", async () => {
    const admin = clientFor(tokens.admin);
    const clientId = uniqueClient();
    await admin.createCredential(clientId, {
      credentialName: "inbound",
      credentialType: "proxy",
      authType: "apiKey",
      region: "eu-west-1",
      secret: { keyName: "X-Api-Key", keyValue: "inbound-key-0123456789" },
    });
    const target = (await admin.createCredential(clientId, bearerTarget("outbound"))).credential;

    expect(
      await admin.verify(clientId, { headers: { "x-api-key": "inbound-key-0123456789" } }),
    ).toMatchObject({
      allowed: true,
      credential: { credentialName: "inbound" },
    });
    expect(await admin.verify(clientId, { headers: { "x-api-key": "wrong" } })).toMatchObject({
      allowed: false,
    });

    const denied = await admin.resolve(clientId, target.credentialId).catch((e: unknown) => e);
    expect(denied).toMatchObject({ status: 403, code: "FORBIDDEN" });
    const resolver = clientFor(tokens.resolver);
    expect(await resolver.resolve(clientId, target.credentialId)).toEqual({
      headers: { Authorization: `Bearer ${secret}` },
      query: {},
    });
    await expect(resolver.invalidate(clientId, target.credentialId)).resolves.toBeUndefined();
  });
});

describe("retries, idempotency, abort and timeout", () => {
  it("retries a create whose answer was lost as a 503, and the Idempotency-Key makes it create once", async () => {
    const attempts: (string | null)[] = [];
    // The first answer is lost after the server created the credential: the client sees a 503.
    const lossy: typeof fetch = async (input, init) => {
      const res = await checkedFetch(input, init);
      attempts.push(new Headers(init?.headers).get("idempotency-key"));
      if (attempts.length > 1) return res;
      return new Response(JSON.stringify({ message: "lost", code: "STORAGE_UNAVAILABLE" }), {
        status: 503,
        headers: { "Retry-After": "0", "Content-Type": "application/json" },
      });
    };
    const client = createCredkitClient({ baseUrl: credkit.baseUrl, token: tokens.admin, fetch: lossy });
    const clientId = uniqueClient();
    const created = await client.createCredential(clientId, bearerTarget("once"));
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(attempts[1]).toBe(attempts[0]);
    expect(created.replayed).toBe(true);
    expect((await client.listCredentials(clientId)).credentials).toHaveLength(1);
  });

  it("gives up on a Retry-After longer than allowed, with retryAfterSeconds (real 429)", async () => {
    const limited = await startCredkit({ CREDKIT_RATE_LIMIT_PER_MINUTE: "1" });
    try {
      const client = createCredkitClient({
        baseUrl: limited.baseUrl,
        token: tokens.admin,
        fetch: checkedFetch,
        retry: { maxDelayMs: 100 },
      });
      await client.listCredentials("acme");
      const error = await client.listCredentials("acme").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CredkitApiError);
      expect(error).toMatchObject({ status: 429, code: "RATE_LIMITED" });
      expect((error as CredkitApiError).retryAfterSeconds).toBeGreaterThan(0);
    } finally {
      await limited.stop();
    }
  });

  it("backs off without Retry-After, bounded by retries, and retry:false turns it off", async () => {
    let calls = 0;
    const busy: typeof fetch = async () => {
      calls++;
      return new Response(JSON.stringify({ message: "busy", code: "STORAGE_UNAVAILABLE" }), { status: 503 });
    };
    const client = createCredkitClient({
      baseUrl: credkit.baseUrl,
      token: tokens.admin,
      fetch: busy,
      retry: { retries: 2, baseDelayMs: 1 },
    });
    await expect(client.listCredentials("acme")).rejects.toMatchObject({
      status: 503,
      code: "STORAGE_UNAVAILABLE",
    });
    expect(calls).toBe(3);
    calls = 0;
    await expect(client.listCredentials("acme", {}, { retry: false })).rejects.toMatchObject({ status: 503 });
    expect(calls).toBe(1);
  });

  it("times out a call with code TIMEOUT, and an abort rejects with the signal's reason", async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    const client = createCredkitClient({ baseUrl: credkit.baseUrl, token: tokens.admin, fetch: hanging });
    await expect(client.getCredential("acme", "eu-west-1.x", { timeoutMs: 20 })).rejects.toMatchObject({
      status: 0,
      code: "TIMEOUT",
    });
    const controller = new AbortController();
    const pending = client.listCredentials("acme", {}, { signal: controller.signal });
    const reason = new Error("caller went away");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it("answers NETWORK_ERROR when nothing listens", async () => {
    const client = createCredkitClient({
      baseUrl: "http://127.0.0.1:9/api",
      token: tokens.admin,
      retry: false,
    });
    await expect(client.listCredentials("acme")).rejects.toMatchObject({ status: 0, code: "NETWORK_ERROR" });
    // The host and why, not fetch's bare "fetch failed" (port 9 is one fetch itself refuses).
    await expect(client.listCredentials("acme")).rejects.toThrow("Could not reach 127.0.0.1:9 (bad port)");
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const closed = createCredkitClient({
      baseUrl: `http://127.0.0.1:${port}/api`,
      token: tokens.admin,
      retry: false,
    });
    await expect(closed.listCredentials("acme")).rejects.toThrow(
      `Could not reach 127.0.0.1:${port} (ECONNREFUSED)`,
    );
  });

  it("never carries a piece of a secret in the error for an answer that is not JSON", async () => {
    const admin = clientFor(tokens.admin);
    const clientId = uniqueClient();
    const target = await admin.createCredential(clientId, bearerTarget("upstream"));
    // A middlebox mangles the resolve answer (secret material): the secret becomes a bare word V8 would quote.
    const cutting: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const text = await res.text();
      const cut = text.replace(`"Bearer ${secret}"`, secret);
      return new Response(cut, { status: res.status, headers: res.headers });
    };
    const resolver = createCredkitClient({
      baseUrl: credkit.baseUrl,
      token: tokens.resolver,
      fetch: cutting,
      retry: false,
    });
    const error = await resolver.resolve(clientId, target.credential.credentialId).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INVALID_RESPONSE" });
    const seen = [
      String(error),
      (error as Error).stack,
      String((error as Error).cause),
      ((error as Error).cause as Error | undefined)?.stack,
      inspect(error, { depth: 5 }),
    ].join("\n");
    for (let i = 0; i + 6 <= secret.length; i++) expect(seen).not.toContain(secret.slice(i, i + 6));
  });

  it("never quotes a token it cannot send (a line break inside) in its error", async () => {
    // A trailing newline (a token read from a file) is stripped by fetch and works.
    const trailing = createCredkitClient({ baseUrl: credkit.baseUrl, token: `${tokens.admin}\n` });
    expect((await trailing.listCredentials("acme")).credentials).toBeInstanceOf(Array);
    const token = `${tokens.admin}\nX-Other: 1`;
    const client = createCredkitClient({ baseUrl: credkit.baseUrl, token, retry: false });
    const error = await client.listCredentials("acme").catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 0, code: "INVALID_REQUEST" });
    expect((error as CredkitApiError).errors[0]?.path).toBe("headers.Authorization");
    expect(inspect(error, { depth: 5 })).not.toContain(tokens.admin);
    // The end client's credential handed to authz() is not quoted either.
    const gateway = createCredkitClient({
      baseUrl: credkit.baseUrl,
      token: tokens.admin,
      authz: { baseUrl: credkit.baseUrl, token: "gateway-token-0123456789" },
      retry: false,
    });
    const denied = await gateway
      .authz({ clientId: "acme", headers: { "X-Api-Key": `${secret}\r\nX-Injected: 1` } })
      .catch((e: unknown) => e);
    expect(denied).toMatchObject({ status: 0, code: "INVALID_REQUEST" });
    expect(inspect(denied, { depth: 5 })).not.toContain(secret);
  });
});

import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { admin, memoryStore, target, targetService, testClock, testKeyring } from "@credkit/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnyCredkitEvent, CredentialStore, SecretOf, StoredCredential } from "../src/index.js";
import { CredkitError, createAddressPolicy, createOutboundFetch } from "../src/index.js";
import {
  type ClientCredentialsSecret,
  fetchClientCredentialsToken,
} from "../src/target/client-credentials.js";
import { fetchCustomToken } from "../src/target/custom-token.js";
import { upstreamErrorClass } from "../src/target/refresh-events.js";
import { requestToken } from "../src/target/token-endpoint.js";
import { stateOf, useMockOAuth } from "./oauth-fixture.js";

const mock = useMockOAuth();

/** A token endpoint answering each path its own way, the failures `upstreamErrorClass` names. */
const answers: Record<string, (res: ServerResponse) => void> = {
  "/500": (res) => res.writeHead(500).end("<html>down</html>"),
  "/503": (res) => res.writeHead(503, { "content-type": "application/json" }).end('{"access_token":"LEAK"}'),
  "/404": (res) => res.writeHead(404).end(),
  "/304": (res) => res.writeHead(304).end(),
  "/401-invalid-client": (res) => res.writeHead(401).end('{"error":"invalid_client"}'),
  "/400-invalid-grant": (res) => res.writeHead(400).end('{"error":"invalid_grant"}'),
  "/400-odd-code": (res) => res.writeHead(400).end('{"error":"Nope!"}'),
  "/200-not-json": (res) => res.writeHead(200).end("LEAK not json"),
  "/200-no-token": (res) => res.writeHead(200).end('{"token_type":"Bearer"}'),
  "/200-large": (res) => res.writeHead(200).end(`{"access_token":"${"x".repeat(2048)}"}`),
  "/hang": () => undefined,
  "/reset": (res) => {
    // The answer starts, then the connection drops: a failure after a response, not a refusal.
    res.writeHead(200, { "content-length": "100" }).write("{", () => res.socket?.destroy());
  },
};
const endpoint = { base: "", server: createServer((req, res) => answers[req.url ?? ""]?.(res)) };
beforeAll(async () => {
  endpoint.server.listen(0, "127.0.0.1");
  await once(endpoint.server, "listening");
  endpoint.base = `http://127.0.0.1:${(endpoint.server.address() as AddressInfo).port}`;
});
afterAll(() => {
  endpoint.server.closeAllConnections();
  endpoint.server.close();
});

const CLIENT_SECRET = "cs-refresh-events-very-secret";

describe("oauth.refresh_failed / oauth.refresh_recovered", () => {
  it("a failing token endpoint is reported once across processes, and its recovery once", async () => {
    const store = memoryStore();
    const keyring = testKeyring();
    // Two services over one store: two processes.
    const a = targetService({ store, keyring });
    const b = targetService({ store, keyring });
    const seen: AnyCredkitEvent[] = [];
    for (const { service } of [a, b])
      service.events.subscribe(["oauth.refresh_failed", "oauth.refresh_recovered"], (e) => seen.push(e));
    const clientId = a.clientId;
    const created = await a.service.create(
      admin,
      clientId,
      mock.clientCredentials({ clientSecret: CLIENT_SECRET }),
    );
    const id = created.credentialId;
    const issued: string[] = [];
    const stopNaming = mock.server.onTokenResponse((response) => {
      const token = `tok-${issued.length + 1}-abcdefgh`;
      issued.push(token);
      (response.body as Record<string, unknown>).access_token = token;
    }, true);
    await a.service.resolveTargetAuth(admin, clientId, id);
    expect(seen).toEqual([]);

    const stopFailing = mock.server.onTokenResponse((response) => {
      response.statusCode = 503;
      response.body = { error: "temporarily_unavailable", error_description: "upstream body detail" };
    }, true);
    for (const service of [a.service, b.service, a.service, b.service]) {
      await service.invalidateTargetToken(admin, clientId, id);
      await expect(service.resolveTargetAuth(admin, clientId, id)).rejects.toMatchObject({
        code: "UPSTREAM_ERROR",
      });
    }
    expect(seen.map((e) => e.type)).toEqual(["oauth.refresh_failed"]);
    expect(seen[0]?.data).toMatchObject({
      credentialId: id,
      credentialAuthType: "oauth2",
      errorClass: "temporarily_unavailable",
    });

    stopFailing();
    await b.service.resolveTargetAuth(admin, clientId, id);
    await b.service.invalidateTargetToken(admin, clientId, id);
    await a.service.resolveTargetAuth(admin, clientId, id);
    expect(seen.map((e) => e.type)).toEqual(["oauth.refresh_failed", "oauth.refresh_recovered"]);
    stopNaming();
    const text = JSON.stringify(seen);
    for (const secret of [CLIENT_SECRET, ...issued, "upstream body detail"])
      expect(text).not.toContain(secret);
  });

  it("reports only an oauth2 token endpoint's failure, and marks it with its time and class", async () => {
    const clock = testClock();
    const { service, store, keyring, clientId } = targetService({ now: clock.now });
    const seen: AnyCredkitEvent[] = [];
    service.events.subscribe(["oauth.refresh_failed"], (e) => seen.push(e));
    // A customToken endpoint failing is no oauth event.
    const custom = await service.create(
      admin,
      clientId,
      target("customToken", { tokenUrl: `${endpoint.base}/503` }),
    );
    await expect(service.resolveTargetAuth(admin, clientId, custom.credentialId)).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
    });
    // Nor is a failure that is not the endpoint's: a secret that cannot be opened.
    const damaged = await service.create(
      admin,
      clientId,
      mock.clientCredentials({ tokenUrl: `${endpoint.base}/503` }),
    );
    const record = (await store.get(clientId, damaged.credentialId)) as StoredCredential;
    await store.update(
      {
        ...record,
        secret: "ck1.k1.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
        version: record.version + 1,
      },
      record.version,
      record.lookupHash,
    );
    await expect(service.resolveTargetAuth(admin, clientId, damaged.credentialId)).rejects.toMatchObject({
      code: "DECRYPTION_FAILED",
    });
    expect(seen).toEqual([]);
    // A policy refusal is the endpoint's failure too: class "refused", kept with the credential.
    const refused = await service.create(
      admin,
      clientId,
      mock.clientCredentials({ tokenUrl: "http://10.255.255.1/token" }),
    );
    await expect(service.resolveTargetAuth(admin, clientId, refused.credentialId)).rejects.toMatchObject({
      code: "OUTBOUND_REFUSED",
    });
    expect(seen.map((e) => [e.type, (e.data as { errorClass?: string }).errorClass])).toEqual([
      ["oauth.refresh_failed", "refused"],
    ]);
    const marked = (await store.get(clientId, refused.credentialId)) as StoredCredential;
    expect(stateOf(keyring, marked).refreshFailing).toEqual({ since: clock.now(), errorClass: "refused" });
  });

  it("throws the endpoint's error and reports nothing when the mark cannot be written", async () => {
    const shared = memoryStore();
    const store: CredentialStore = {
      ...shared,
      update: () => Promise.reject(new CredkitError("STORAGE_UNAVAILABLE", "down")),
    };
    const { service, clientId } = targetService({ store });
    const seen: AnyCredkitEvent[] = [];
    service.events.subscribe(["oauth.refresh_failed"], (e) => seen.push(e));
    const created = await service.create(
      admin,
      clientId,
      mock.clientCredentials({ tokenUrl: `${endpoint.base}/503` }),
    );
    await expect(service.resolveTargetAuth(admin, clientId, created.credentialId)).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      upstreamClass: "http_5xx",
    });
    expect(seen).toEqual([]);
  });

  it("classifies each failure where it is raised, never from its wording nor the upstream's body", async () => {
    const upstream = createOutboundFetch({
      policy: createAddressPolicy(["127.0.0.1"]),
      timeoutMs: 1000,
      maxResponseBytes: 1024,
    });
    const url = (path: string) => `${endpoint.base}${path}`;
    const classOf = (request: Promise<unknown>) =>
      request.then(
        () => "no failure",
        (error: unknown) => upstreamErrorClass(error),
      );
    const token = (path: string) => requestToken(upstream, url(path), {}, { method: "none", clientId: "c" });
    const custom = (path: string, tokenPath = "access_token") =>
      fetchCustomToken(upstream, {
        tokenUrl: url(path),
        method: "POST",
        tokenPath,
      } as SecretOf<"customToken">);

    expect(await classOf(token("/500"))).toBe("http_5xx");
    expect(await classOf(token("/404"))).toBe("http_4xx");
    expect(await classOf(token("/304"))).toBe("http_3xx");
    expect(await classOf(token("/401-invalid-client"))).toBe("invalid_client");
    // A code that is not a standard OAuth one is not echoed: the status class stands for it.
    expect(await classOf(token("/400-odd-code"))).toBe("http_4xx");
    expect(await classOf(token("/200-not-json"))).toBe("invalid_response");
    expect(await classOf(token("/200-no-token"))).toBe("invalid_response");
    expect(await classOf(token("/200-large"))).toBe("invalid_response");
    expect(await classOf(token("/hang"))).toBe("timeout");
    expect(await classOf(token("/reset"))).toBe("network");
    const refusing = createOutboundFetch({ policy: createAddressPolicy() });
    expect(await classOf(requestToken(refusing, url("/500"), {}, { method: "none", clientId: "c" }))).toBe(
      "refused",
    );
    const clientCredentials = mock.clientCredentials().secret as ClientCredentialsSecret;
    expect(
      await classOf(
        fetchClientCredentialsToken(upstream, { ...clientCredentials, tokenUrl: url("/400-invalid-grant") }),
      ),
    ).toBe("invalid_grant");
    expect(await classOf(custom("/503"))).toBe("http_5xx");
    expect(await classOf(custom("/200-no-token", "data.token"))).toBe("invalid_response");
    expect(await classOf(custom("/200-not-json"))).toBe("invalid_response");
    // What credkit did not raise as an upstream failure carries no class: network.
    expect(upstreamErrorClass(new Error("The token endpoint answered 401 (invalid_client)"))).toBe("network");
    expect(upstreamErrorClass(new CredkitError("UPSTREAM_ERROR", "answered 500 (invalid_client)"))).toBe(
      "network",
    );
  });
});

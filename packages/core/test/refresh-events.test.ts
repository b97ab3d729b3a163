import {
  admin,
  type MockOAuth,
  memoryStore,
  startMockOAuth,
  target,
  targetService,
  testKeyring,
} from "@credkit/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnyCredkitEvent } from "../src/index.js";
import { CredkitError } from "../src/index.js";
import { upstreamErrorClass } from "../src/target/refresh-events.js";

let oauth: MockOAuth;
beforeAll(async () => {
  oauth = await startMockOAuth();
});
afterAll(() => oauth.stop());

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
      target("oauth2", {
        grantType: "client_credentials",
        tokenUrl: oauth.tokenUrl,
        clientId: "svc",
        clientSecret: CLIENT_SECRET,
      }),
    );
    const id = created.credentialId;
    const issued: string[] = [];
    const stopNaming = oauth.onTokenResponse((response) => {
      const token = `tok-${issued.length + 1}-abcdefgh`;
      issued.push(token);
      (response.body as Record<string, unknown>).access_token = token;
    }, true);
    await a.service.resolveTargetAuth(admin, clientId, id);
    expect(seen).toEqual([]);

    const stopFailing = oauth.onTokenResponse((response) => {
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

  it("classifies failures without the upstream's body", () => {
    const upstream = (message: string) => new CredkitError("UPSTREAM_ERROR", message);
    expect(upstreamErrorClass(upstream("The token endpoint answered 500"))).toBe("http_5xx");
    expect(upstreamErrorClass(upstream("The token endpoint answered 401 (invalid_client)"))).toBe(
      "invalid_client",
    );
    expect(upstreamErrorClass(upstream("The token endpoint answered 404"))).toBe("http_4xx");
    expect(upstreamErrorClass(upstream("The token endpoint answered 200 with a body that is not JSON"))).toBe(
      "invalid_response",
    );
    expect(upstreamErrorClass(upstream("The token endpoint answered without a usable access_token"))).toBe(
      "invalid_response",
    );
    expect(upstreamErrorClass(new CredkitError("OUTBOUND_REFUSED", "refused"))).toBe("refused");
    expect(upstreamErrorClass(upstream("Outbound request to x timed out after 5000 ms"))).toBe("timeout");
    expect(upstreamErrorClass(upstream("socket hang up"))).toBe("network");
  });
});

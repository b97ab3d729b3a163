import { admin, memoryStore, proxy, targetService, testClock } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import type { CredentialStore } from "../src/index.js";
import { useMockOAuth } from "./oauth-fixture.js";

// resolve.ts' own rules for token credentials: the single flight is per credential, a single use is
// spent only once a token is in hand, and invalidating writes only when there is a token to drop.
const mock = useMockOAuth();

/** Numbers every token the mock issues until `stop()` (`<prefix>-1`, `<prefix>-2`, ...). */
function numberTokens(prefix: string) {
  let issued = 0;
  return mock.server.onTokenResponse((response) => {
    (response.body as Record<string, unknown>).access_token = `${prefix}-${++issued}`;
  }, true);
}

describe("resolveTargetAuth of token credentials", () => {
  it("gives two credentials resolved at once a token each: the single flight is per credential", async () => {
    const { service, clientId } = targetService();
    const a = await service.create(admin, clientId, mock.clientCredentials({ clientId: "svc-a" }));
    const b = await service.create(admin, clientId, mock.clientCredentials({ clientId: "svc-b" }));
    const stop = numberTokens("flight");
    mock.server.setTokenDelay(() => 100);
    try {
      const start = mock.server.tokenRequests();
      const [first, second] = await Promise.all([
        service.resolveTargetAuth(admin, clientId, a.credentialId),
        service.resolveTargetAuth(admin, clientId, b.credentialId),
      ]);
      expect(mock.server.tokenRequests() - start).toBe(2);
      expect(first.headers.Authorization).not.toBe(second.headers.Authorization);
    } finally {
      mock.server.setTokenDelay(() => 0);
      stop();
    }
  });

  it("serves a fresh token from the record without a lease; one within the skew takes the lease", async () => {
    const shared = memoryStore();
    let leases = 0;
    const store: CredentialStore = {
      ...shared,
      acquireLease: (name, owner, ttlMs) => {
        leases++;
        return shared.acquireLease(name, owner, ttlMs);
      },
    };
    const clock = testClock();
    const { service, clientId } = targetService({ store, now: clock.now, tokens: { refreshSkewMs: 1_000 } });
    const created = await service.create(admin, clientId, mock.clientCredentials());
    await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(leases).toBe(1);
    clock.advance(3600_000 - 1_000 - 1); // the mock's tokens last an hour: fresh until 1 s before
    await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(leases).toBe(1);
    clock.advance(1);
    await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(leases).toBe(2);
  });

  it("spends nothing of a single-use credential whose token request failed", async () => {
    const { service, clientId } = targetService();
    const once = await service.create(admin, clientId, { ...mock.clientCredentials(), singleUse: true });
    mock.server.onTokenResponse((response) => {
      response.statusCode = 503;
      response.body = { error: "temporarily_unavailable" };
    });
    await expect(service.resolveTargetAuth(admin, clientId, once.credentialId)).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
    });
    expect((await service.get(admin, clientId, once.credentialId)).credentialSingleUse).toBe(true);
    await expect(service.resolveTargetAuth(admin, clientId, once.credentialId)).resolves.toMatchObject({
      headers: { Authorization: expect.stringMatching(/^Bearer /) },
    });
    await expect(service.get(admin, clientId, once.credentialId)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("invalidateTargetToken", () => {
  it("writes nothing when the credential holds no access token", async () => {
    const { service, clientId } = targetService();
    const created = await service.create(admin, clientId, mock.clientCredentials());
    await service.invalidateTargetToken(admin, clientId, created.credentialId);
    expect((await service.get(admin, clientId, created.credentialId)).credentialVersion).toBe(1);
    await service.resolveTargetAuth(admin, clientId, created.credentialId);
    const version = (await service.get(admin, clientId, created.credentialId)).credentialVersion;
    await service.invalidateTargetToken(admin, clientId, created.credentialId);
    await service.invalidateTargetToken(admin, clientId, created.credentialId); // nothing left to drop
    expect((await service.get(admin, clientId, created.credentialId)).credentialVersion).toBe(version + 1);
  });

  it("does nothing to a proxy credential", async () => {
    const { service, clientId } = targetService();
    const created = await service.create(
      admin,
      clientId,
      proxy("jwtVerify", {
        algorithms: ["HS256"],
        issuer: "https://issuer.example",
        audience: "api",
        secret: "a-shared-secret-of-at-least-32-bytes!!",
      }),
    );
    await service.invalidateTargetToken(admin, clientId, created.credentialId);
    expect((await service.get(admin, clientId, created.credentialId)).credentialVersion).toBe(1);
  });
});

import { admin, authorizeAtMock, target, targetService, testClock } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { type AnyCredkitEvent, CredkitError, type Keyring, type StoredCredential } from "../src/index.js";
import { createRecords } from "../src/records/records.js";
import { createRegionRouter } from "../src/regions.js";
import { createTargetContext } from "../src/target/context.js";
import { obtainSharedToken, tokenStateOf } from "../src/target/shared-token.js";
import { sealState, useMockOAuth } from "./oauth-fixture.js";

// How the shared token fails: a refresh token the server refuses is reported once, a token state
// that fails to open for a reason other than a lost key is raised, and a credential with no token
// endpoint never reaches one. Each case is one a mutant of shared-token.ts let through.
const mock = useMockOAuth();

/** The target context a service builds, over `setup`'s store and `keyring`. */
function contextOf(setup: ReturnType<typeof targetService>, keyring: Keyring = setup.keyring) {
  const records = createRecords({
    router: createRegionRouter({ "eu-west-1": setup.store }),
    keyring,
    expiredRetentionMs: 0,
  });
  const fetch = (() => {
    throw new Error("no token endpoint is asked in this test");
  }) as never;
  return createTargetContext({ records, fetch, now: Date.now });
}

describe("the shared token's failures", () => {
  it("reports a refused refresh token once, as invalid_grant, when it marks the credential", async () => {
    const clock = testClock();
    const setup = targetService({ now: clock.now });
    const seen: AnyCredkitEvent[] = [];
    setup.service.events.subscribe(["oauth.refresh_failed"], (e) => seen.push(e));
    const created = await setup.service.create(admin, setup.clientId, mock.authorizationCode());
    await setup.service.completeAuthorization(await authorizeAtMock(created.authorizationUrl ?? ""));
    clock.advance(3600_000);
    mock.server.onTokenResponse((response) => {
      response.statusCode = 400;
      response.body = { error: "invalid_grant" };
    }, true);
    for (let i = 0; i < 2; i++) {
      await expect(
        setup.service.resolveTargetAuth(admin, setup.clientId, created.credentialId),
      ).rejects.toMatchObject({ code: "REAUTHORIZATION_REQUIRED" });
    }
    expect(seen.map((e) => [e.type, (e.data as { errorClass?: string }).errorClass])).toEqual([
      ["oauth.refresh_failed", "invalid_grant"],
    ]);
  });

  it("raises a token state that fails to open for a reason other than a lost key", async () => {
    const setup = targetService();
    const created = await setup.service.create(admin, setup.clientId, mock.clientCredentials());
    const record = (await setup.store.get(setup.clientId, created.credentialId)) as StoredCredential;
    const withState = { ...record, tokenState: sealState(setup.keyring, record, { refreshToken: "rt" }) };
    // A keyring (a KMS, say) that cannot answer for the token state right now: not a lost key.
    const unavailable = new CredkitError("STORAGE_UNAVAILABLE", "the key service did not answer");
    const keyring: Keyring = {
      ...setup.keyring,
      decrypt: (envelope, identity) => {
        if (identity.purpose === "token-state") throw unavailable;
        return setup.keyring.decrypt(envelope, identity);
      },
    };
    expect(() => tokenStateOf(contextOf(setup, keyring), withState)).toThrow(unavailable);
    // A lost key, for a token that can simply be fetched again, counts as no token.
    const lost = { ...record, tokenState: "ck1.gone.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA" };
    expect(tokenStateOf(contextOf(setup), lost)).toEqual({});
  });

  it("fetches no token for a credential that has no token endpoint, and leaves it as it is", async () => {
    const setup = targetService();
    const created = await setup.service.create(
      admin,
      setup.clientId,
      target("apiKey", { keyName: "X-Api-Key", keyValue: "k-0123456789abcdef" }),
    );
    const record = (await setup.store.get(setup.clientId, created.credentialId)) as StoredCredential;
    await expect(obtainSharedToken(contextOf(setup), setup.store, record)).rejects.toMatchObject({
      code: "INTERNAL",
    });
    expect(await setup.store.get(setup.clientId, created.credentialId)).toEqual(record);
  });
});

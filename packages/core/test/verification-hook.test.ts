import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore, proxy } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { createCredentialService, createKeyring, type VerificationEvent } from "../src/index.js";

const actor = { userId: "alice", clientIds: "*" as const, scopes: [] };
const KEY = `verification-hook-${randomUUID()}`;

describe("the verification hook", () => {
  it("hears every answer of verifyProxyRequest, with its client, outcome and credential, and no secret", async () => {
    const heard: VerificationEvent[] = [];
    const service = createCredentialService({
      regions: { "eu-west-1": memoryStore() },
      keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
      defaultRegion: "eu-west-1",
      hooks: { verification: (event) => heard.push(event) },
    });
    const clientId = `c-${randomUUID()}`;
    const created = await service.create(
      actor,
      clientId,
      proxy("apiKey", { keyName: "X-Key", keyValue: KEY }, { credentialDefaultRuleEffect: "allow" }),
    );
    await service.verifyProxyRequest(actor, clientId, { headers: { "x-key": KEY } });
    await service.verifyProxyRequest(actor, clientId, { headers: { "x-key": `${KEY}-wrong` } });
    await service.update(actor, clientId, created.credentialId, { credentialDefaultRuleEffect: "deny" });
    await service.verifyProxyRequest(actor, clientId, { headers: { "x-key": KEY } });
    // The data plane counts its own answers: its verifications are not told twice.
    await service.authorizeProxyRequest({ ...actor, scopes: ["authz"] }, clientId, {
      headers: { "x-key": KEY },
    });
    expect(heard).toEqual([
      { clientId, outcome: "allowed", credentialId: created.credentialId },
      { clientId, outcome: "NO_CREDENTIAL" },
      { clientId, outcome: "DENIED" },
    ]);
    expect(JSON.stringify(heard)).not.toContain(KEY);
  });
});

import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type Actor,
  type CreateCredentialInput,
  createCredentialService,
  createKeyring,
  isExpired,
} from "../src/index.js";

// The expiry rule itself; defineCredentialStore's use of it (and of the other rules) is in
// define-store.test.ts.
const NOW = 1_000_000;

describe("the expiry rule", () => {
  it("expires a record at its expiresAt exactly", () => {
    expect(isExpired({ expiresAt: NOW }, NOW)).toBe(true);
    expect(isExpired({ expiresAt: NOW - 1 }, NOW)).toBe(true);
    expect(isExpired({ expiresAt: NOW + 1 }, NOW)).toBe(false);
    expect(isExpired({ expiresAt: null }, NOW)).toBe(false);
    expect(isExpired({ expiresAt: 0 }, NOW)).toBe(true);
  });
});

describe("proxy secret uniqueness across several stores", () => {
  const admin: Actor = { userId: "alice", clientIds: "*", scopes: ["resolve"] };
  const body = (keyValue: string, region: string): CreateCredentialInput => ({
    credentialName: "k",
    credentialType: "proxy",
    authType: "apiKey",
    secret: { keyName: "X-Api-Key", keyValue },
    region,
  });

  it("refuses a secret any one of the other stores holds", async () => {
    const service = createCredentialService({
      regions: { "eu-west-1": memoryStore(), "us-east-1": memoryStore(), "ap-south-1": memoryStore() },
      keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
      defaultRegion: "eu-west-1",
    });
    const clientId = `c-${randomUUID()}`;
    const secret = "unique-0123456789abcdef0123456789";
    const created = await service.create(admin, clientId, body(secret, "eu-west-1"));
    // One store of the two others holds it: enough to refuse.
    await expect(service.create(admin, clientId, body(secret, "us-east-1"))).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(service.create(admin, clientId, body(secret, "ap-south-1"))).rejects.toMatchObject({
      code: "CONFLICT",
    });
    // The credential that holds it may keep it, and another client may use it.
    await expect(
      service.update(admin, clientId, created.credentialId, {
        secret: { keyName: "X-Api-Key", keyValue: secret },
      }),
    ).resolves.toBeDefined();
    await expect(service.create(admin, `${clientId}-2`, body(secret, "us-east-1"))).resolves.toBeDefined();
  });
});

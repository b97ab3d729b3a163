import { randomBytes } from "node:crypto";
import { memoryEventOutbox } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  createKeyring,
  type ReencryptionFailure,
  resealWebhooks,
  type StoredWebhook,
  webhookSecretIdentity,
} from "../src/index.js";

const [oldKey, newKey, lostKey] = [randomBytes(32), randomBytes(32), randomBytes(32)];
const keyring = (active: string, ...keys: [string, Buffer][]) =>
  createKeyring({ activeKeyId: active, keys: keys.map(([id, key]) => ({ id, key })) });

function sealed(webhookId: string, secret: string, keyId: string, key: Buffer): StoredWebhook {
  const ids = { clientId: "acme", webhookId };
  return {
    ...ids,
    url: "https://receiver.example/hook",
    eventTypes: ["credential.created"],
    secret: keyring(keyId, [keyId, key]).encrypt(secret, webhookSecretIdentity(ids)),
    userId: "ops",
    createdAt: new Date().toISOString(),
  };
}

describe("resealWebhooks", () => {
  it("re-seals old-key secrets under the active key, skips current ones, reports what it cannot open", async () => {
    const outbox = memoryEventOutbox();
    const hooks = [
      sealed("wh_old", "whsec_old", "old", oldKey),
      sealed("wh_new", "whsec_new", "new", newKey),
      sealed("wh_lost", "whsec_lost", "lost", lostKey),
    ];
    for (const hook of hooks) await outbox.saveWebhook(hook);
    const rotated = keyring("new", ["new", newKey], ["old", oldKey]);
    const failures: ReencryptionFailure[] = [];
    const counts = await resealWebhooks({ outbox, keyring: rotated, onFailure: (f) => failures.push(f) });
    expect(counts).toEqual({ scanned: 3, reencrypted: 1, skipped: 1, failed: 1 });
    expect(failures).toEqual([
      expect.objectContaining({ clientId: "acme", credentialId: "wh_lost", code: "DECRYPTION_FAILED" }),
    ]);
    expect(JSON.stringify(failures)).not.toContain("whsec_");
    const after = await outbox.getWebhook("acme", "wh_old");
    expect(rotated.keyIdOf(after?.secret ?? "")).toBe("new");
    const onlyNew = keyring("new", ["new", newKey]);
    expect(onlyNew.decrypt(after?.secret ?? "", webhookSecretIdentity(hooks[0] as StoredWebhook))).toBe(
      "whsec_old",
    );
    expect((await outbox.getWebhook("acme", "wh_lost"))?.secret).toBe(hooks[2]?.secret);
    // Run again: nothing left to do.
    expect(await resealWebhooks({ outbox, keyring: rotated })).toEqual({
      scanned: 3,
      reencrypted: 0,
      skipped: 2,
      failed: 1,
    });
  });
});

import type { Keyring } from "../crypto/keyring.js";
import { emptyCounts, type ReencryptionCounts, type ReencryptionFailure } from "../rotation/progress.js";
import type { EventOutbox } from "./outbox.js";
import { webhookSecretIdentity } from "./webhook-service.js";

/**
 * The key-rotation step for webhooks: re-seals every webhook's signing secret under the keyring's
 * active key (the same secret: receivers notice nothing), like `reencryptRegions` does for records.
 * A secret already under the active key is skipped; one the keyring cannot open is reported to
 * `onFailure` (ids and a code, never the secret) and left as it was. A webhook changed or deleted
 * meanwhile is skipped (the replacement is a compare-and-set). Safe to run again at any time.
 */
export async function resealWebhooks(options: {
  outbox: EventOutbox;
  keyring: Keyring;
  onFailure?: (failure: ReencryptionFailure) => void;
}): Promise<ReencryptionCounts> {
  const { outbox, keyring } = options;
  const counts = emptyCounts();
  for (const webhook of await outbox.listAllWebhooks()) {
    counts.scanned++;
    const identity = webhookSecretIdentity(webhook);
    let sealed: string;
    try {
      if (keyring.keyIdOf(webhook.secret) === keyring.activeKeyId) {
        counts.skipped++;
        continue;
      }
      sealed = keyring.encrypt(keyring.decrypt(webhook.secret, identity), identity);
    } catch {
      counts.failed++;
      options.onFailure?.({
        clientId: webhook.clientId,
        credentialId: webhook.webhookId,
        code: "DECRYPTION_FAILED",
        message: "The webhook's signing secret cannot be opened with the configured keyring",
      });
      continue;
    }
    if (await outbox.replaceWebhookSecret(webhook.clientId, webhook.webhookId, webhook.secret, sealed)) {
      counts.reencrypted++;
    } else counts.skipped++;
  }
  return counts;
}

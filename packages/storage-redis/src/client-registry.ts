import type { RedisClient } from "./run-script.js";

/** Records client ids in the global `Pclients` set that `scan` walks. */
export interface ClientRegistry {
  /** Resolves once `clientId` is in the set (recently confirmed by this process, or added now). */
  register(clientId: string): Promise<void>;
}

// Remembered registrations per store: enough for every active client of a busy process, small in memory.
const maxRemembered = 10_000;

/**
 * A registry that skips the ZADD for a client this process registered less than `rememberMs` ago, so a
 * create is one round trip in the common case. Safe because entries are never removed from the set: the
 * only way to lose one is data loss on the server, which the next registration after `rememberMs`
 * repairs. `rememberMs` 0 sends the ZADD before every create.
 */
export function clientRegistry(client: RedisClient, key: string, rememberMs: number): ClientRegistry {
  const confirmed = new Map<string, number>();
  return {
    async register(clientId) {
      const at = confirmed.get(clientId);
      if (at !== undefined && Date.now() - at < rememberMs) return;
      await client.zadd(key, 0, clientId);
      // Stryker disable next-line ConditionalExpression,EqualityOperator: memory only: with rememberMs 0 a remembered time never skips a ZADD (the check above needs less than 0 ms)
      if (rememberMs <= 0) return;
      confirmed.delete(clientId);
      confirmed.set(clientId, Date.now());
      // Map iteration is insertion order: the first key is the least recently confirmed.
      if (confirmed.size > maxRemembered) confirmed.delete(confirmed.keys().next().value as string);
    },
  };
}

import type { PendingEvent, WriteEvents } from "@credkit/core";
import type { RedisKeys } from "./keys.js";
import { type RedisClient, runScript } from "./run-script.js";
import { dropPendingClientScript } from "./scripts.js";

/**
 * The Redis store's pending-event log: each client's events in a list on the client's own slot
 * (`P{tag}:events`), appended by the script of the write they report, and an index of the clients that
 * may hold some (`P{events}:pending-clients`, scored by a counter every append bumps).
 *
 * On a standalone server or a Sentinel set, the write's script bumps the index too: change, event and
 * index in one atomic step. On a Cluster the index lives in another slot, so it is bumped right before
 * the script (a relay pass that read the index earlier cannot drop the client while its event is
 * appended) and right after (one that read it in between cannot either). The event itself is always
 * in the write's own script; only a process killed in the instant between its script and the bump after
 * it, while a relay pass ran, can leave an event unindexed, and the client's next event indexes it again.
 */
export function redisPendingEvents(client: RedisClient, keys: RedisKeys) {
  const index = keys.pendingClients();
  return {
    /** The script arguments that append `events` (none: nothing appended, the write costs what it did). */
    args(clientId: string, events: WriteEvents | undefined): string[] {
      // Stryker disable next-line ConditionalExpression: the script appends nothing without an event either
      if (!events || events.length === 0) return [];
      return [client.isCluster ? "" : index, clientId, ...events.map((event) => JSON.stringify(event))];
    },

    /** Runs `write`; on a Cluster, bumps the index before and after it (see above). */
    async indexed<T>(clientId: string, events: WriteEvents | undefined, write: () => Promise<T>): Promise<T> {
      if (!client.isCluster || !events || events.length === 0) return write();
      await client.zincrby(index, 1, clientId);
      const result = await write();
      await client.zincrby(index, 1, clientId);
      return result;
    },

    async read(limit: number): Promise<PendingEvent[]> {
      const indexed = await client.zrange(index, "0", String(limit - 1), "WITHSCORES");
      const out: PendingEvent[] = [];
      for (let i = 0; i + 1 < indexed.length && out.length < limit; i += 2) {
        const clientId = indexed[i] as string;
        const score = indexed[i + 1] as string;
        const jsons = await client.lrange(keys.events(clientId), 0, limit - out.length - 1);
        // An index entry left by a write that appended nothing (a conflict on a cluster): dropped here.
        if (jsons.length === 0) await runScript(client, dropPendingClientScript, [index], [clientId, score]);
        for (const json of jsons) {
          out.push({ handle: JSON.stringify([clientId, score, json]), event: JSON.parse(json) });
        }
      }
      return out;
    },

    async remove(events: readonly PendingEvent[]): Promise<void> {
      const byClient = new Map<string, { score: string; jsons: string[] }>();
      for (const { handle } of events) {
        const [clientId, score, json] = JSON.parse(handle) as [string, string, string];
        const group = byClient.get(clientId) ?? { score, jsons: [] };
        group.jsons.push(json);
        byClient.set(clientId, group);
      }
      for (const [clientId, { score, jsons }] of byClient) {
        const list = keys.events(clientId);
        // By value, not by position: entries appended meanwhile (at the tail) are never touched.
        for (const json of jsons) await client.lrem(list, 1, json);
        if ((await client.llen(list)) === 0) {
          await runScript(client, dropPendingClientScript, [index], [clientId, score]);
        }
      }
    },
  };
}

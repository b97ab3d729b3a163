import type { PendingEvent, WriteEvents } from "@credkit/core";
import type { Cluster } from "ioredis";
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
 * it, while a relay pass ran, can leave an event unindexed. The client's next event indexes it again,
 * and so does the sweep: on a Cluster, a read walks every master's keys with SCAN, at most one step of
 * `sweepScanCount` keys per master every `sweepEveryMs`, and indexes the event lists it finds (an
 * existing list is a non-empty one: Redis deletes empty lists). So a stranded event waits at most one
 * full walk, about `keys on the largest master / 1000` seconds of a relay polling once a second.
 */
export function redisPendingEvents(client: RedisClient, keys: RedisKeys) {
  const index = keys.pendingClients();
  const sweep = client.isCluster ? clusterSweep(client as Cluster, keys, index) : null;
  return {
    /** The script arguments that append `events` (none: nothing appended, the write costs what it did). */
    args(clientId: string, events: WriteEvents | undefined): string[] {
      // Stryker disable next-line ConditionalExpression,ArrayDeclaration: the script appends nothing without an event either
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
      await sweep?.();
      const indexed = await client.zrange(index, "0", String(limit - 1), "WITHSCORES");
      const out: PendingEvent[] = [];
      // WITHSCORES: member, score, member, score...
      for (let i = 0; i < indexed.length && out.length < limit; i += 2) {
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
        // Stryker disable next-line ArrayDeclaration: removing a value never stored removes nothing
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

/** Keys each sweep step asks each master to look at (SCAN's COUNT). */
export const sweepScanCount = 1000;

/** Least milliseconds between two sweep steps of one store: one per relay poll, never more. */
export const sweepEveryMs = 1000;

/** The SCAN pattern of every client's event list under the key layout of `keys` (glob characters escaped). */
function eventListPattern(keys: RedisKeys): string {
  // The key prefix is what comes before the first brace of any key of the layout.
  const sample = keys.pendingClients();
  const prefix = sample.slice(0, sample.indexOf("{"));
  return `${prefix.replace(/[*?[\]\\]/g, "\\$&")}{c:*}:events`;
}

/**
 * The client whose event list `key` is, or null for a key that only looks like one: whatever lies
 * between the braces, only an id whose own event list is `key` is taken.
 */
function clientOfEventList(keys: RedisKeys, key: string): string | null {
  const start = key.indexOf("{c:");
  const end = key.lastIndexOf("}:events");
  const clientId = Buffer.from(key.slice(start + 3, end), "base64url").toString();
  return keys.events(clientId) === key ? clientId : null;
}

/**
 * One step of the stranded-event sweep per call (when `sweepEveryMs` have passed): SCAN of the next
 * `sweepScanCount` keys of each master, resumed where the last step ended (a master new since, after a
 * failover, starts from the beginning), and an index entry for every event list found. `ZADD NX` with
 * score 0: an indexed client keeps its score (a relay's drop of it still works), a stranded one is read
 * first.
 */
function clusterSweep(client: Cluster, keys: RedisKeys, index: string): () => Promise<void> {
  const pattern = eventListPattern(keys);
  const cursors = new Map<string, string>();
  let lastStep = Number.NEGATIVE_INFINITY;
  return async () => {
    if (Date.now() - lastStep < sweepEveryMs) return;
    lastStep = Date.now();
    const masters = client.nodes("master");
    const addresses = masters.map((node) => `${node.options.host}:${node.options.port}`);
    for (const address of cursors.keys()) if (!addresses.includes(address)) cursors.delete(address);
    const found = await Promise.all(
      masters.map(async (node, i) => {
        const address = addresses[i] as string;
        const [next, hits] = await node.scan(
          cursors.get(address) ?? "0",
          "MATCH",
          pattern,
          "COUNT",
          sweepScanCount,
        );
        cursors.set(address, next);
        return hits;
      }),
    );
    for (const key of found.flat()) {
      const clientId = clientOfEventList(keys, key);
      if (clientId !== null) await client.zadd(index, "NX", 0, clientId);
    }
  };
}

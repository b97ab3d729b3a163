import type { Cluster, Redis } from "ioredis";

// The servers that hold keys: every master of a cluster, or the one standalone server.
function servers(client: Redis | Cluster): Redis[] {
  return client.isCluster ? (client as Cluster).nodes("master") : [client as Redis];
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Every key under `keyPrefix`, on every node (SCAN: test-only, the store itself never scans). */
export async function keysUnder(client: Redis | Cluster, keyPrefix: string): Promise<string[]> {
  const found: string[] = [];
  for (const server of servers(client)) {
    let cursor = "0";
    do {
      const [next, keys] = await server.scan(cursor, "MATCH", `${globEscape(keyPrefix)}*`, "COUNT", 500);
      found.push(...keys);
      cursor = next;
    } while (cursor !== "0");
  }
  return found.sort();
}

/** One line per key: `key type pttl value...`, the raw view the conformance suite's at-rest tests read. */
export async function dumpKeys(client: Redis | Cluster, keyPrefix: string): Promise<string> {
  const lines: string[] = [];
  for (const key of await keysUnder(client, keyPrefix)) {
    const [type, pttl] = await Promise.all([client.type(key), client.pttl(key)]);
    let value: string[];
    if (type === "hash") value = Object.entries(await client.hgetall(key)).flat();
    else if (type === "zset") value = await client.zrange(key, "0", "-1", "WITHSCORES");
    else if (type === "string") value = [(await client.get(key)) ?? ""];
    else value = [`<${type}>`];
    lines.push([key, type, String(pttl), ...value].join(" "));
  }
  return lines.join("\n");
}

/** Deletes every key under `keyPrefix`, so a run leaves nothing behind on a shared server. */
export async function deleteKeys(client: Redis | Cluster, keyPrefix: string): Promise<void> {
  // One DEL per key: on a cluster the keys of different clients live on different slots.
  await Promise.all((await keysUnder(client, keyPrefix)).map((key) => client.del(key)));
}

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startServer } from "./server-process.js";

const run = promisify(execFile);
const script = (name: string) => fileURLToPath(new URL(`../../../../scripts/${name}`, import.meta.url));

async function sh(name: string, ...args: string[]): Promise<string> {
  return shWith({}, name, ...args);
}

/** {@link sh} with variables added to the script's environment. */
async function shWith(env: Record<string, string>, name: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("bash", [script(name), ...args], {
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  return stdout.trim();
}

/**
 * Stops the servers of `dir`; one that does not exit on SIGTERM in time is SIGKILLed, so that none
 * outlives the test once its folder (and pid files) are removed.
 */
async function stopRedis(dir: string): Promise<void> {
  await sh("redis.sh", "stop", dir)
    .catch(() => sh("redis.sh", "kill", dir))
    .catch(() => "");
}

/** A real redis-server (appendfsync always) in its own state folder, started by scripts/redis.sh. */
export async function startRedis() {
  const dir = await mkdtemp(join(tmpdir(), "credkit-server-redis-"));
  const url = await sh("redis.sh", "start-standalone", dir);
  return {
    url,
    /** SIGKILL: a crash. */
    kill: () => sh("redis.sh", "kill", dir),
    /** Starts it again on the same port with the same data. */
    restart: () => sh("redis.sh", "restart", dir),
    async stop() {
      await stopRedis(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A real 3-master Redis Cluster on loopback; `nodes` is `host:port,host:port,host:port`. */
export async function startRedisCluster() {
  const dir = await mkdtemp(join(tmpdir(), "credkit-server-cluster-"));
  const nodes = await sh("redis.sh", "start-cluster", dir);
  return {
    nodes,
    async stop() {
      await stopRedis(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A real Sentinel set on loopback (scripts/redis.sh start-sentinel): 1 primary, 2 replicas, 3 Sentinels
 * watching it as `credkit` (quorum 2, down after 1000 ms). `sentinels` is `host:port,host:port,host:port`.
 */
export async function startRedisSentinel() {
  const dir = await mkdtemp(join(tmpdir(), "credkit-server-sentinel-"));
  const sentinels = await sh("redis.sh", "start-sentinel", dir);
  const firstSentinel = sentinels.split(",")[0]?.split(":")[1] as string;
  const cli = async (port: string, ...args: string[]) =>
    (await run("redis-cli", ["-h", "127.0.0.1", "-p", port, ...args], { timeout: 5000 })).stdout.trim();
  const pidOf = async (port: string) =>
    Number((await readFile(join(dir, `node-${port}`, "redis.pid"), "utf8")).trim());
  const dataPorts = async () =>
    (await readdir(dir)).filter((d) => d.startsWith("node-")).map((d) => d.slice("node-".length));
  return {
    sentinels,
    name: "credkit",
    /** The data port the Sentinels name as the primary now. */
    async primaryPort(): Promise<string> {
      const [, port] = (await cli(firstSentinel, "sentinel", "get-master-addr-by-name", "credkit")).split(
        "\n",
      );
      return port as string;
    },
    /** The primary each Sentinel names now (they learn of a failover one after the other). */
    async primaryPorts(): Promise<string[]> {
      return Promise.all(
        sentinels.split(",").map(async (address) => {
          const answer = await cli(
            address.split(":")[1] as string,
            "sentinel",
            "get-master-addr-by-name",
            "credkit",
          );
          return answer.split("\n")[1] as string;
        }),
      );
    },
    /**
     * Whether a Sentinel still runs a failover. The leader announces the switch (`+switch-master`) only
     * when it ends, after the others, and ioredis's failover detector reconnects on that announcement too.
     */
    async failoverInProgress(): Promise<boolean> {
      const flags = await Promise.all(
        sentinels.split(",").map(async (address) => {
          const lines = (await cli(address.split(":")[1] as string, "sentinel", "master", "credkit")).split(
            "\n",
          );
          return lines[lines.indexOf("flags") + 1] ?? "";
        }),
      );
      return flags.some((f) => f.includes("failover_in_progress"));
    },
    /** The pid of the data server on `port`. */
    pidOf,
    /** The data ports other than `primary`. */
    async replicaPorts(primary: string): Promise<string[]> {
      return (await dataPorts()).filter((p) => p !== primary);
    },
    /** `INFO replication` of one data server. */
    info: (port: string) => cli(port, "info", "replication"),
    /**
     * What the Sentinels reported subjectively down (`+sdown`) at or after `sinceMs` (epoch ms), each
     * with the port of what was down: a member that stopped answering for `down-after-milliseconds`.
     * Redis logs local time, which `Date.parse` reads as local time too.
     */
    async downReports(sinceMs: number): Promise<{ at: number; port: string; line: string }[]> {
      const reports: { at: number; port: string; line: string }[] = [];
      for (const entry of (await readdir(dir)).filter((d) => d.startsWith("sentinel-"))) {
        const log = await readFile(join(dir, entry, "redis.log"), "utf8").catch(() => "");
        for (const line of log.split("\n")) {
          // `12:X 07 Dec 2026 12:03:58.273 # +sdown slave 127.0.0.1:38913 127.0.0.1 38913 @ credkit …`
          const found = /^\d+:X (\d+ \w+ \d+ [\d:.]+) # \+sdown \w+ \S+ \S+ (\d+)/.exec(line);
          const at = found ? Date.parse(found[1] as string) : Number.NaN;
          if (found && at >= sinceMs) reports.push({ at, port: found[2] as string, line });
        }
      }
      return reports;
    },
    /** What each Sentinel and data server logged last, and each data server's role: for a failure message. */
    async diagnose(lines = 25): Promise<string> {
      const parts: string[] = [];
      for (const entry of (await readdir(dir)).sort()) {
        const log = await readFile(join(dir, entry, "redis.log"), "utf8").catch(() => "(no log)");
        const role = entry.startsWith("node-")
          ? await cli(entry.slice("node-".length), "role").catch(() => "(not answering)")
          : "";
        parts.push(`--- ${entry} ${role.replace(/\n/g, " ")}\n${log.split("\n").slice(-lines).join("\n")}`);
      }
      return parts.join("\n");
    },
    async stop() {
      await stopRedis(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The AWS variables a server process needs to talk to DynamoDB Local (any credentials do). */
export const dynamoDbLocalEnv = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

/**
 * AWS's DynamoDB Local, started by scripts/dynamodb-local.sh on a free port. `sharedDb: false` gives
 * each AWS region its own database, as on AWS (default: one database whatever region a client names).
 */
export async function startDynamoDbLocal(options: { sharedDb?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "credkit-server-dynamodb-"));
  const endpoint = await shWith(
    { CREDKIT_DYNAMODB_LOCAL_SHARED_DB: String(options.sharedDb ?? true) },
    "dynamodb-local.sh",
    "start",
    dir,
  );
  return {
    endpoint,
    async stop() {
      await sh("dynamodb-local.sh", "stop", dir).catch(() => "");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `count` credkit server processes sharing one real Redis (and one master key), with `env` on top. */
export async function serversOnOneRedis(count: number, token: string, env: Record<string, string> = {}) {
  const redis = await startRedis();
  const shared = {
    CREDKIT_STORAGE: "redis",
    CREDKIT_REDIS_URL: redis.url,
    CREDKIT_REGIONS: "*",
    CREDKIT_MASTER_KEY: randomBytes(32).toString("base64"),
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
    ...env,
  };
  const servers = await Promise.all(Array.from({ length: count }, () => startServer(shared)));
  return { redis, servers };
}

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { redisScript } from "./redis-script.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** `redis://127.0.0.1:<port>` of the standalone server the tests share. */
    redisUrl: string;
    /** `host:port,host:port,host:port` of the 3-master cluster the tests share. */
    redisClusterNodes: string;
  }
}

/**
 * Starts a standalone redis-server and a 3-master cluster with scripts/redis.sh (unless
 * CREDKIT_TEST_REDIS_URL / CREDKIT_TEST_REDIS_CLUSTER_NODES name running ones), provides their addresses
 * as `redisUrl` / `redisClusterNodes`, and stops what it started after the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), "credkit-redis-test-"));
  const started: string[] = [];
  const start = async (command: "start-standalone" | "start-cluster", dir: string) => {
    started.push(dir);
    return redisScript(command, dir);
  };
  const teardown = async () => {
    await Promise.allSettled(started.map((dir) => redisScript("stop", dir)));
    await rm(root, { recursive: true, force: true });
  };
  try {
    const [url, nodes] = await Promise.all([
      process.env.CREDKIT_TEST_REDIS_URL || start("start-standalone", join(root, "standalone")),
      process.env.CREDKIT_TEST_REDIS_CLUSTER_NODES || start("start-cluster", join(root, "cluster")),
    ]);
    project.provide("redisUrl", url);
    project.provide("redisClusterNodes", nodes);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

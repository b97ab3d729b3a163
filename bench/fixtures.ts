import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { StoredCredential } from "@credkit/core";

const run = promisify(execFile);

/** A stored record shaped like credkit's own (random ids, an envelope-sized secret), for store benches. */
export function benchRecord(clientId: string, withLookup: boolean): StoredCredential {
  const now = new Date().toISOString();
  const b64 = (bytes: number) => randomBytes(bytes).toString("base64url");
  return {
    clientId,
    credentialId: `us-east-1.${b64(16)}`,
    region: "us-east-1",
    credentialType: withLookup ? "proxy" : "target",
    authType: withLookup ? "apiKey" : "custom",
    name: `bench ${randomUUID().slice(0, 8)}`,
    defaultRuleEffect: "allow",
    singleUse: false,
    temporary: false,
    expiresAt: null,
    userId: "bench-user",
    parentId: clientId,
    createdAt: now,
    updatedAt: now,
    version: 1,
    secret: `ck1.k1.${b64(12)}.${b64(64)}.${b64(16)}`,
    lookupHash: withLookup ? `k1.${b64(32)}` : null,
    tokenState: null,
    status: "active",
  };
}

/**
 * Starts a real server with one of the repo's scripts (`redis.sh start-standalone`, `dynamodb-local.sh
 * start`) in a temp folder; resolves with what it printed (its address) and how to stop it.
 */
export async function startScriptServer(scriptName: string, startCommand: string) {
  const script = fileURLToPath(new URL(`../scripts/${scriptName}`, import.meta.url));
  const stateDir = await mkdtemp(join(tmpdir(), "credkit-bench-"));
  const { stdout } = await run("bash", [script, startCommand, stateDir], { timeout: 180_000 });
  return {
    address: stdout.trim(),
    async stop() {
      await run("bash", [script, "stop", stateDir], { timeout: 60_000 });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../../../scripts/dynamodb-local.sh", import.meta.url));

declare module "vitest" {
  export interface ProvidedContext {
    /** DynamoDB Local's endpoint, e.g. `http://127.0.0.1:45277`: read it with `inject("dynamodbEndpoint")`. */
    dynamodbEndpoint: string;
  }
}

/**
 * Vitest globalSetup: starts DynamoDB Local (scripts/dynamodb-local.sh) in a temp state dir, provides
 * its endpoint as `dynamodbEndpoint`, and stops it by pid at teardown. When
 * `CREDKIT_TEST_DYNAMODB_ENDPOINT` is set (CI started one already), that endpoint is provided instead.
 * It starts with `-sharedDb` (one database whatever AWS region a client names) unless the environment
 * says `CREDKIT_DYNAMODB_LOCAL_SHARED_DB=false` (each AWS region its own database, as on AWS), which the
 * script reads.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.CREDKIT_TEST_DYNAMODB_ENDPOINT;
  if (given) {
    project.provide("dynamodbEndpoint", given);
    return undefined;
  }
  const stateDir = await mkdtemp(join(tmpdir(), "credkit-dynamodb-local-"));
  const { stdout } = await run("bash", [script, "start", stateDir], { timeout: 180_000 });
  project.provide("dynamodbEndpoint", stdout.trim());
  return async () => {
    await run("bash", [script, "stop", stateDir], { timeout: 60_000 });
    await rm(stateDir, { recursive: true, force: true });
  };
}

// DynamoDB store vs raw GetItem/PutItem on the same table of a DynamoDB Local this bench starts itself.
// Run: node --conditions=development --import tsx bench/dynamodb-store.ts
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { DeleteTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { StoredCredential } from "@credkit/core";
import {
  createCredkitTable,
  dynamoDbStore,
  lookupPrefix,
  recommendedClientConfig,
  recordPrefix,
} from "@credkit/storage-dynamodb";
import { median, printTable, type Row, ratio } from "./table.js";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../scripts/dynamodb-local.sh", import.meta.url));

/** Options of {@link benchDynamoDbStore}. */
export interface DynamoDbBenchOptions {
  /** An endpoint to use instead of starting DynamoDB Local. Default: `CREDKIT_TEST_DYNAMODB_ENDPOINT`, else start one. */
  endpoint?: string;
  /** Length of one measured round in ms; each subject runs `rounds` rounds, the median counts. Default 600. */
  roundMs?: number;
  /** Rounds per subject, alternating store and raw so JVM warm-up and noise hit both alike. Default 3. */
  rounds?: number;
  /** Requests in flight in the concurrent runs. Default 50. */
  concurrency?: number;
}

/** One measured run: throughput and per-call latency. */
interface Measured {
  opsPerSecond: number;
  p50: number;
  p99: number;
}

function record(lookup: boolean): StoredCredential {
  const clientId = "bench-client";
  const now = new Date().toISOString();
  return {
    clientId,
    credentialId: `us-east-1.${randomBytes(16).toString("base64url")}`,
    region: "us-east-1",
    credentialType: lookup ? "proxy" : "target",
    authType: lookup ? "apiKey" : "custom",
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
    secret: `ck1.k1.${randomBytes(12).toString("base64url")}.${randomBytes(64).toString("base64url")}.${randomBytes(16).toString("base64url")}`,
    lookupHash: lookup ? randomBytes(32).toString("base64url") : null,
  };
}

/** Calls `op` for `ms` with `inFlight` callers, each awaiting its previous call. */
async function measure(ms: number, inFlight: number, op: () => Promise<unknown>): Promise<Measured> {
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await op();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
  return { opsPerSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

async function startLocal(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const stateDir = await mkdtemp(join(tmpdir(), "credkit-bench-dynamodb-"));
  const { stdout } = await run("bash", [script, "start", stateDir], { timeout: 180_000 });
  return {
    endpoint: stdout.trim(),
    stop: async () => {
      await run("bash", [script, "stop", stateDir], { timeout: 60_000 });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * credkit's DynamoDB store against the bare SDK call on the same table: `get` vs a consistent GetItem,
 * `findByLookup` vs a consistent GetItem of the lookup item, `create` vs an unconditional PutItem of
 * the record JSON; sequential and with `concurrency` calls in flight. Prints a table, returns its rows.
 */
export async function benchDynamoDbStore(options: DynamoDbBenchOptions = {}): Promise<Row[]> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const roundMs = options.roundMs ?? 600;
  const rounds = options.rounds ?? 3;
  const concurrency = options.concurrency ?? 50;
  const given = options.endpoint ?? process.env.CREDKIT_TEST_DYNAMODB_ENDPOINT;
  const local = given ? undefined : await startLocal();
  const endpoint = given ?? local?.endpoint ?? "";
  const client = new DynamoDBClient({
    ...recommendedClientConfig,
    // A JVM on a shared 2-core box can take longer than AWS to accept a connection: measure, don't time out.
    requestHandler: {
      ...recommendedClientConfig.requestHandler,
      connectionTimeout: 10_000,
      requestTimeout: 10_000,
    },
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  const tableName = `credkit-bench-${randomUUID()}`;
  try {
    await createCredkitTable(client, tableName);
    const store = dynamoDbStore({ client, tableName });
    const seeded = Array.from({ length: 200 }, (_, i) => record(i % 2 === 0));
    for (let i = 0; i < seeded.length; i += concurrency) {
      await Promise.all(seeded.slice(i, i + concurrency).map((r) => store.create(r)));
    }
    const withLookup = seeded.filter((r) => r.lookupHash !== null);
    const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)] as T;
    const key = (sk: string) => ({ pk: { S: "bench-client" }, sk: { S: sk } });
    const rawGet = (sk: string) =>
      client.send(new GetItemCommand({ TableName: tableName, Key: key(sk), ConsistentRead: true }));
    const rawPut = (r: StoredCredential) =>
      client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...key(`${recordPrefix}${r.credentialId}`), data: { S: JSON.stringify(r) } },
        }),
      );

    const subjects: {
      bench: string;
      raw: [string, () => Promise<unknown>];
      store: [string, () => Promise<unknown>];
    }[] = [
      {
        bench: "get",
        raw: ["raw GetItem (consistent)", () => rawGet(`${recordPrefix}${pick(seeded).credentialId}`)],
        store: ["store.get", () => store.get("bench-client", pick(seeded).credentialId)],
      },
      {
        bench: "findByLookup",
        raw: ["raw GetItem (consistent)", () => rawGet(`${lookupPrefix}${pick(withLookup).lookupHash}`)],
        store: [
          "store.findByLookup",
          () => store.findByLookup("bench-client", pick(withLookup).lookupHash ?? ""),
        ],
      },
      {
        bench: "create, no lookup hash",
        raw: ["raw PutItem", () => rawPut(record(false))],
        store: ["store.create (conditional PutItem)", () => store.create(record(false))],
      },
      {
        bench: "create, lookup hash",
        raw: ["raw PutItem", () => rawPut(record(true))],
        store: ["store.create (TransactWriteItems)", () => store.create(record(true))],
      },
    ];

    // DynamoDB Local runs on a JVM: the first thousands of calls are interpreted code.
    for (const subject of subjects) {
      await measure(roundMs, concurrency, subject.raw[1]);
      await measure(roundMs, concurrency, subject.store[1]);
    }

    const rows: Row[] = [];
    for (const inFlight of [1, concurrency]) {
      for (const subject of subjects) {
        const raw: Measured[] = [];
        const mine: Measured[] = [];
        for (let round = 0; round < rounds; round++) {
          raw.push(await measure(roundMs, inFlight, subject.raw[1]));
          mine.push(await measure(roundMs, inFlight, subject.store[1]));
        }
        const summary = (runs: Measured[]) => ({
          "ops/s": median(runs.map((m) => m.opsPerSecond)),
          "p50 ms": Number(median(runs.map((m) => m.p50)).toFixed(2)),
          "p99 ms": Number(median(runs.map((m) => m.p99)).toFixed(2)),
        });
        const rawSummary = summary(raw);
        const storeSummary = summary(mine);
        const bench = `${subject.bench}, ${inFlight} in flight`;
        rows.push({ bench, subject: subject.raw[0], ...rawSummary });
        rows.push({
          bench,
          subject: subject.store[0],
          ...storeSummary,
          ...ratio(storeSummary["ops/s"], rawSummary["ops/s"]),
        });
      }
    }
    printTable(`@credkit/storage-dynamodb vs raw SDK calls on DynamoDB Local (${endpoint})`, rows);
    return rows;
  } finally {
    // Best effort: a failed bench must still stop the server, and an in-memory table dies with it.
    await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    client.destroy();
    await local?.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchDynamoDbStore();
}

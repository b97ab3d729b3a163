import { randomBytes, randomUUID } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "./support/api-client.js";
import { dynamoDbLocalEnv, startDynamoDbLocal } from "./support/real-servers.js";
import { killServers, type ServerProcess, startServer } from "./support/server-process.js";

// What each API call costs on DynamoDB, counted at the endpoint the running server talks to (a
// forwarding proxy in front of DynamoDB Local records every request's operation): the bill and the
// latency of each call, which a wrapper that drops an argument (e.g. an update's previous lookup hash)
// silently raises.
const token = "dynamodb-count-token-0123456789";
let dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>>;
let proxy: Server;
let server: ServerProcess;
// Each request's operation and the partition it touches (its key's, its Query's, or its first
// transaction or batch item's), known once its body has arrived, before the answer the test awaits.
const operations: { op: string; partition?: string; sort?: string }[] = [];

/** The partition a request's body names first, if any. */
function partitionOf(body: Record<string, unknown>): string | undefined {
  type Keyed = { pk?: { S?: string } } | undefined;
  const b = body as {
    Key?: Keyed;
    Item?: Keyed;
    ExpressionAttributeValues?: Record<string, { S?: string }>;
    TransactItems?: Record<string, { Key?: Keyed; Item?: Keyed }>[];
    RequestItems?: Record<
      string,
      | ({ PutRequest?: { Item?: Keyed }; DeleteRequest?: { Key?: Keyed } } | { Keys?: Keyed[] })[]
      | { Keys?: Keyed[] }
    >;
  };
  const first = b.TransactItems?.[0];
  const inTransaction = first ? Object.values(first)[0] : undefined;
  const batch = b.RequestItems ? Object.values(b.RequestItems)[0] : undefined;
  const batched = Array.isArray(batch)
    ? (batch[0] as { PutRequest?: { Item?: Keyed }; DeleteRequest?: { Key?: Keyed } } | undefined)
    : undefined;
  return (
    b.Key?.pk?.S ??
    b.Item?.pk?.S ??
    b.ExpressionAttributeValues?.[":pk"]?.S ??
    inTransaction?.Key?.pk?.S ??
    inTransaction?.Item?.pk?.S ??
    (batch && !Array.isArray(batch) ? batch.Keys?.[0]?.pk?.S : undefined) ??
    batched?.PutRequest?.Item?.pk?.S ??
    batched?.DeleteRequest?.Key?.pk?.S
  );
}

/**
 * The webhook dispatcher's work, in the background whatever the API does: its relay of the events the
 * changes stored (the pending-event partition, its lease, the webhook registry it resolves subscribers
 * in) and its poll and writes of the outbox. Left out of each call's count: a change's own cost is
 * its requests on its client's partition (its event rides in the same transaction).
 */
function isBackground(partition: string | undefined): boolean {
  if (partition === undefined) return false;
  return (
    partition === "outbox" ||
    partition === "events-pending" ||
    ["outbox-", "lease#", "webhook#"].some((prefix) => partition.startsWith(prefix))
  );
}

/** A proxy to DynamoDB Local that logs each request's operation (`GetItem`, `TransactWriteItems`, ...). */
async function countingProxy(target: URL): Promise<{ server: Server; url: string }> {
  const proxyServer = createServer((req, res) => {
    const op = String(req.headers["x-amz-target"] ?? "").split(".")[1];
    if (op) {
      const entry: { op: string; partition?: string; sort?: string } = { op };
      operations.push(entry);
      let requestBody = "";
      req.on("data", (chunk) => {
        requestBody += chunk;
      });
      req.on("end", () => {
        const body = JSON.parse(requestBody || "{}");
        entry.partition = partitionOf(body);
        entry.sort = (body as { Key?: { sk?: { S?: string } } }).Key?.sk?.S;
      });
    }
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxyServer.listen(0, "127.0.0.1", resolve));
  return { server: proxyServer, url: `http://127.0.0.1:${(proxyServer.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  const counted = await countingProxy(new URL(dynamo.endpoint));
  proxy = counted.server;
  server = await startServer({
    ...dynamoDbLocalEnv,
    CREDKIT_MASTER_KEY: randomBytes(32).toString("base64"),
    CREDKIT_USER_TOKENS: JSON.stringify([{ token, userId: "ops", clientIds: "*" }]),
    // Counted here: what the credential operations cost. The shared rate limit's own cost on DynamoDB
    // (one UpdateItem per request, two at a window's first) is pinned by shared-state-dynamodb.test.ts.
    CREDKIT_RATE_LIMIT_PER_MINUTE: "0",
    CREDKIT_REGIONS: JSON.stringify({
      "eu-west-1": {
        storage: "dynamodb",
        table: `credkit-count-${randomUUID().slice(0, 8)}`,
        endpoint: counted.url,
        createTable: true,
      },
    }),
  });
}, 120_000);
afterAll(async () => {
  killServers();
  await new Promise((resolve) => proxy?.close(resolve));
  await dynamo?.stop();
});

/** The DynamoDB operations one API call made, and its answer. */
async function costOf<T>(call: () => Promise<T>): Promise<{ ops: string[]; result: T }> {
  operations.length = 0;
  const result = await call();
  const ops = operations.filter(({ partition }) => !isBackground(partition)).map(({ op }) => op);
  return { ops, result };
}

describe("DynamoDB requests per API call, through the running server", () => {
  it("get 1, create 1, list 1 per page, update of a name or a secret 2, verify 1 (64 headers too), delete 2; a change's event rides in its own transaction", async () => {
    const api = apiClient(server.url, token);
    const clientId = `acme-${randomUUID().slice(0, 8)}`;
    const base = `/api/clients/${clientId}/credentials`;
    const body = (value: string) => ({
      credentialName: "proxy key",
      credentialType: "proxy",
      authType: "apiKey",
      region: "eu-west-1",
      secret: { keyName: "X-Api-Key", keyValue: value },
    });

    const created = await costOf(() => api("POST", base, body(`key-${randomUUID()}`)));
    expect(created.result.status).toBe(201);
    // The record, its lookup item and its `credential.created` event: one transaction.
    expect(created.ops).toStrictEqual(["TransactWriteItems"]);
    const id = created.result.body.credentials[0].credentialId as string;
    await api("POST", base, body(`key-${randomUUID()}`));

    const got = await costOf(() => api("GET", `${base}/${id}`));
    expect(got.result.status).toBe(200);
    expect(got.ops).toStrictEqual(["GetItem"]);

    const page = await costOf(() => api("GET", `${base}?limit=1`));
    expect(page.result.body.credentials).toHaveLength(1);
    expect(page.ops).toStrictEqual(["Query"]);
    const next = await costOf(() =>
      api("GET", `${base}?limit=1&cursor=${encodeURIComponent(page.result.body.nextCursor)}`),
    );
    expect(next.result.body.credentials).toHaveLength(1);
    expect(next.ops).toStrictEqual(["Query"]);

    const renamed = await costOf(() => api("PUT", `${base}/${id}`, { credentialName: "renamed" }));
    expect(renamed.result.status).toBe(200);
    expect(renamed.ops).toStrictEqual(["GetItem", "TransactWriteItems"]);

    const value = `key-${randomUUID()}`;
    const rekeyed = await costOf(() =>
      api("PUT", `${base}/${id}`, { secret: { keyName: "X-Api-Key", keyValue: value } }),
    );
    expect(rekeyed.result.status).toBe(200);
    expect(rekeyed.ops).toStrictEqual(["GetItem", "TransactWriteItems"]);

    const verified = await costOf(() =>
      api("POST", `/api/clients/${clientId}/verify`, { headers: { "x-api-key": value } }),
    );
    expect(verified.result.body).toMatchObject({ allowed: true });
    expect(verified.ops).toStrictEqual(["BatchGetItem"]);
    // 64 key-like headers (fresh values: the near cache has not seen them): the same one request.
    const stuffed = Object.fromEntries(
      Array.from({ length: 64 }, (_, i) => [`x-key-${i}`, `guess-${randomUUID()}`]),
    );
    const refused = await costOf(() => api("POST", `/api/clients/${clientId}/verify`, { headers: stuffed }));
    expect(refused.result.body).toMatchObject({ allowed: false });
    expect(refused.ops).toStrictEqual(["BatchGetItem"]);

    const deleted = await costOf(() => api("DELETE", `${base}/${id}`));
    expect(deleted.result.status).toBe(200);
    // The server always reports events (webhooks), so the service reads the record first for the
    // `credential.deleted` payload and hands that read to the store, which removes the record (on the
    // condition that its version is still the one read), its lookup item and stores the event in one
    // transaction.
    expect(deleted.ops).toStrictEqual(["GetItem", "TransactWriteItems"]);
  });

  it("the webhook registry is read by the relay, once per client per batch, never on a change's path", async () => {
    const api = apiClient(server.url, token);
    const clientId = `relay-${randomUUID().slice(0, 8)}`;
    operations.length = 0;
    // The first test's events may still be relayed while this one runs: only events stored from now on
    // (their sort key begins with their ISO timestamp) are this test's.
    const since = `event#${new Date().toISOString()}`;
    const made = await Promise.all(
      Array.from({ length: 5 }, () =>
        api("POST", `/api/clients/${clientId}/credentials`, {
          credentialName: "proxy key",
          credentialType: "proxy",
          authType: "apiKey",
          region: "eu-west-1",
          secret: { keyName: "X-Api-Key", keyValue: `key-${randomUUID()}` },
        }),
      ),
    );
    expect(made.map((r) => r.status)).toStrictEqual([201, 201, 201, 201, 201]);
    // Relayed once the pending-event partition is empty again (the relay removes what it handed on).
    await expect
      .poll(
        () =>
          operations.filter(
            (o) => o.partition === "events-pending" && o.op === "DeleteItem" && (o.sort ?? "") >= since,
          ).length,
        {
          timeout: 20_000,
        },
      )
      .toBe(5);
    const lookups = operations.filter((o) => o.partition === `webhook#${clientId}`);
    expect(lookups.length).toBeGreaterThanOrEqual(1);
  });
});

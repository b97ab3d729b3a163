import { DeleteTableCommand, type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredkitTable, dynamoDbCounter, sharedStateClientConfig } from "../src/index.js";
import { counterItemKey } from "../src/keys.js";
import { localClient, randomTableName } from "./local-client.js";
import { logRequests } from "./request-log.js";

/**
 * Runs `before(update)` ahead of each UpdateItem the client sends, with the update's expression, so a
 * test can make another process write between the counter's two requests. DynamoDB Local serialises
 * requests, so two hits never interleave there by themselves.
 */
function beforeEachUpdate(client: DynamoDBClient, before: (expression: string) => Promise<unknown>): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "UpdateItemCommand") {
        await before(String((args.input as { UpdateExpression?: string }).UpdateExpression));
      }
      return next(args);
    },
    { step: "initialize", name: "credkitBeforeUpdate" },
  );
}

// The counter's restart path: the first hit of a window is refused by the increment's condition and
// restarts the window with a second UpdateItem, which another process may have restarted first.
describe("dynamodb counter races", () => {
  const setup = localClient(sharedStateClientConfig);
  const tableName = randomTableName();
  const clock = Date.now() + 3_600_000;
  const now = () => clock;
  const clients: DynamoDBClient[] = [setup];
  let n = 0;
  const fresh = () => `race${++n}-${Math.random().toString(36).slice(2)}`;
  /** A counter on a client of its own, with the log of its requests. */
  function counterOn(before?: (key: string, expression: string) => Promise<unknown>, key = "") {
    const client = localClient(sharedStateClientConfig);
    clients.push(client);
    const log = logRequests(client);
    if (before) beforeEachUpdate(client, (expression) => before(key, expression));
    return { counter: dynamoDbCounter({ client, tableName, now }), log };
  }
  /** Writes the counter item `key` as another process left it: `count` hits, its window ending at `end`. */
  const plant = (key: string, count: number, end: number) =>
    setup.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { ...counterItemKey(key), count: { N: String(count) }, expiresAt: { N: String(end) } },
      }),
    );

  beforeAll(() => createCredkitTable(setup, tableName));
  afterAll(async () => {
    await setup.send(new DeleteTableCommand({ TableName: tableName }));
    for (const client of clients) client.destroy();
  });

  it("counts on in the window another process restarted between its two requests", async () => {
    const key = fresh();
    const other = counterOn().counter;
    const { counter, log } = counterOn(async (_key, expression) => {
      // Just before this process restarts the lapsed window, the other one does.
      if (expression.includes("= :one,")) await other.hit(key, 60_000);
    }, key);
    expect(await counter.hit(key, 60_000)).toStrictEqual({ count: 2, resetMs: 60_000 });
    // The refused increment, the refused restart, then the increment in the other's window.
    expect(log).toStrictEqual(["UpdateItem", "UpdateItem", "UpdateItem"]);
  });

  it("gives up after five rounds of windows restarted and lapsing under it: STORAGE_UNAVAILABLE", async () => {
    const key = fresh();
    // Before each increment the window has lapsed; before each restart someone restarted it.
    const { counter, log } = counterOn(
      (key, expression) => plant(key, 7, expression.includes("= :one,") ? clock + 1_000 : clock),
      key,
    );
    await expect(counter.hit(key, 60_000)).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    expect(log).toStrictEqual(Array.from({ length: 10 }, () => "UpdateItem"));
  });

  it("answers the window's remaining time and count from the item it updated", async () => {
    const key = fresh();
    await plant(key, 41, clock + 1_234);
    const { counter } = counterOn();
    expect(await counter.hit(key, 60_000)).toStrictEqual({ count: 42, resetMs: 1_234 });
    // At the window's last instant it has ended: the hit starts a new one.
    await plant(key, 41, clock);
    expect(await counter.hit(key, 60_000)).toStrictEqual({ count: 1, resetMs: 60_000 });
  });

  it("is STORAGE_UNAVAILABLE, not a free pass, when a request fails", async () => {
    const client = localClient({ ...sharedStateClientConfig, endpoint: "http://127.0.0.1:9" });
    clients.push(client);
    const counter = dynamoDbCounter({ client, tableName, now });
    await expect(counter.hit(fresh(), 60_000)).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { makeRecord } from "@credkit/storage-test-suite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDbStore } from "../src/index.js";
import { localClient } from "./local-client.js";

// An endpoint that is not DynamoDB but answers every request 200 `{}` (a health-check stub, another
// service on the port): the SDK reads `{}` as a successful GetItem or PutItem.
let server: Server;
let endpoint: string;
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/x-amz-json-1.0" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe("an endpoint answering 200 {} that is not DynamoDB", () => {
  const store = () => dynamoDbStore({ client: localClient({ endpoint }), tableName: "credkit-not-dynamodb" });

  it("fails the ping, so the start check and /readyz refuse it", async () => {
    await expect(store().ping()).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
      cause: { name: "NotDynamoDbAnswer" },
    });
  });

  it("fails a create instead of reporting a write that stored nothing", async () => {
    await expect(store().create(makeRecord())).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    await expect(store().create(makeRecord({ lookupHash: "k1.abc" }))).rejects.toMatchObject({
      code: "STORAGE_UNAVAILABLE",
    });
  });
});

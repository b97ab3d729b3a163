import { CredkitError, storageUnavailable } from "@credkit/core";
import { describe, expect, it } from "vitest";
import { checkStores, explainFailure } from "../src/store-check.js";
import { describeStorage } from "../src/store-groups.js";

describe("the start check of the stores", () => {
  it("names a redis store without its password, in the user part or the query", () => {
    expect(describeStorage({ storage: "redis", url: "redis://user:hunter2@10.0.0.5:6379" })).toBe(
      'redis redis://10.0.0.5:6379 prefix "credkit:"',
    );
    expect(describeStorage({ storage: "redis", url: "redis://10.0.0.5:6379/2?password=hunter2" })).toBe(
      'redis redis://10.0.0.5:6379/2 prefix "credkit:"',
    );
  });

  it("says why and what to set, by the cause's name or code only", () => {
    const dynamo = { storage: "dynamodb", table: "t1", endpoint: "http://127.0.0.1:1" } as const;
    const missing = Object.assign(new Error("Cannot do operations on a non-existent table"), {
      name: "ResourceNotFoundException",
    });
    const inRegion = { ...dynamo, region: "us-east-1" };
    const explained = explainFailure(inRegion, storageUnavailable("dynamodb", missing));
    expect(explained).toContain('the table "t1" does not exist in us-east-1');
    expect(explained).toContain("CREDKIT_DYNAMODB_CREATE_TABLE=true");
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(explainFailure(dynamo, storageUnavailable("dynamodb", refused))).toContain(
      "CREDKIT_DYNAMODB_ENDPOINT",
    );
    // No credentials anywhere is not AWS refusing them: nothing was sent.
    const none = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    const noCredentials = explainFailure(dynamo, storageUnavailable("dynamodb", none));
    expect(noCredentials).toContain("no AWS credentials found");
    expect(noCredentials).not.toContain("refused");
    const other = new Error("secret-looking message redis://u:hunter2@h");
    expect(explainFailure(dynamo, other)).not.toContain("hunter2");
  });

  it("checks a shared store once and reports it once, with every region on it", async () => {
    let pings = 0;
    const shared = {
      name: "shared",
      ping: async () => {
        pings++;
        throw storageUnavailable("redis", Object.assign(new Error("down"), { code: "ECONNREFUSED" }));
      },
    };
    const config = { storage: "redis", url: "redis://127.0.0.1:1" } as const;
    const error = await checkStores(
      { "eu-west-1": config, "us-east-1": config },
      // biome-ignore lint/suspicious/noExplicitAny: a ping is all the check uses
      { regions: { "eu-west-1": shared as any, "us-east-1": shared as any } },
    ).catch((e: unknown) => e);
    expect(pings).toBe(1);
    expect(error).toBeInstanceOf(CredkitError);
    const lines = (error as CredkitError).message.split("\n");
    expect(lines).toEqual([
      "A store failed its start check:",
      expect.stringMatching(
        /^ {2}- redis redis:\/\/127\.0\.0\.1:1 prefix "credkit:" \[eu-west-1, us-east-1\]: nothing answers there \(ECONNREFUSED\)/,
      ),
    ]);
  });
});

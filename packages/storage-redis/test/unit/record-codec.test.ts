import { isCredkitError } from "@credkit/core";
import { makeRecord } from "@credkit/storage-test-suite";
import { describe, expect, it } from "vitest";
import { parseRecord, recordArgs } from "../../src/record-codec.js";

// What the Lua scripts receive besides the JSON: known answers, since the scripts compare them as text.
describe("redis record codec", () => {
  it("gives the scripts whole milliseconds rounded up, and empty strings for what is absent", () => {
    const record = makeRecord({ expiresAt: 1_700_000_000_000.2, lookupHash: null, temporary: true });
    expect(recordArgs(record)).toEqual({
      json: JSON.stringify(record),
      expiresAt: "1700000000001",
      lookupHash: "",
      temporary: "1",
    });
    const permanent = makeRecord({ expiresAt: null, lookupHash: "h1", temporary: false });
    expect(recordArgs(permanent)).toMatchObject({ expiresAt: "", lookupHash: "h1", temporary: "0" });
  });

  it("reads back what it wrote, and refuses a reply that is not a record's JSON as INTERNAL", () => {
    const record = makeRecord();
    expect(parseRecord(recordArgs(record).json)).toEqual(record);
    for (const reply of [7, null, ["{}"]]) {
      const error = (() => {
        try {
          return parseRecord(reply);
        } catch (e) {
          return e;
        }
      })();
      expect(isCredkitError(error, "INTERNAL"), JSON.stringify(reply)).toBe(true);
    }
    const error = (() => {
      try {
        return parseRecord("{not json");
      } catch (e) {
        return e;
      }
    })();
    expect(isCredkitError(error, "INTERNAL")).toBe(true);
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });
});

import { describe, expect, it } from "vitest";
import { isoTime } from "../src/iso-time.js";

describe("isoTime", () => {
  it("answers what Date's toISOString answers, for the same and for alternating milliseconds", () => {
    const times = [0, 0, 1, 1, 0, 1_767_225_600_123, 1_767_225_600_123, 1_767_225_600_124, -1, 8.64e15];
    for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it("throws Date's RangeError for a time it cannot format, each time, and still formats after", () => {
    for (const bad of [Number.NaN, Number.NaN, 8.64e15 + 1, Number.POSITIVE_INFINITY]) {
      expect(() => isoTime(bad)).toThrow(RangeError);
    }
    expect(isoTime(5)).toBe("1970-01-01T00:00:00.005Z");
  });

  it("formats a fraction of a millisecond as Date does (truncated)", () => {
    expect(isoTime(1.9)).toBe(new Date(1.9).toISOString());
    expect(isoTime(1)).toBe("1970-01-01T00:00:00.001Z");
  });
});

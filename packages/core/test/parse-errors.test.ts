import { describe, expect, it } from "vitest";
import * as z from "zod";
import { invalid, parseOrThrow, parseWalked } from "../src/schemas/parse.js";

// How a refused input is worded and located: every field at fault by its dotted path, in words that
// never echo the input (schemas.test.ts checks the body and secret schemas themselves).
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error as { code: string; message: string; errors: { path: string; message: string }[] };
  }
  throw new Error("expected a validation error");
};

const shape = z.strictObject({ name: z.string(), inner: z.strictObject({ n: z.number() }).optional() });

describe("parseOrThrow's field errors", () => {
  it("words a missing field, a wrong type and a wrong object type", () => {
    expect(refusal(() => parseOrThrow(shape, {})).errors).toEqual([{ path: "name", message: "is required" }]);
    expect(refusal(() => parseOrThrow(shape, { name: 1 })).errors).toEqual([
      { path: "name", message: "must be a string" },
    ]);
    expect(refusal(() => parseOrThrow(shape, { name: "n", inner: "x" })).errors).toEqual([
      { path: "inner", message: "must be an object" },
    ]);
    expect(refusal(() => parseOrThrow(shape, "text")).errors).toEqual([
      { path: "body", message: "must be an object" },
    ]);
  });

  it("names one unknown field in the singular and several in the plural", () => {
    expect(refusal(() => parseOrThrow(shape, { name: "n", extra: 1 })).errors).toEqual([
      { path: "body", message: "unknown field: extra" },
    ]);
    expect(refusal(() => parseOrThrow(shape, { name: "n", inner: { n: 1, a: 1, b: 2 } })).errors).toEqual([
      { path: "inner", message: "unknown fields: a, b" },
    ]);
  });

  it("lists an enum's values, and leaves other checks their own words", () => {
    expect(refusal(() => parseOrThrow(z.strictObject({ e: z.enum(["a", "b"]) }), { e: "c" })).errors).toEqual(
      [{ path: "e", message: "must be one of: a, b" }],
    );
    expect(
      refusal(() => parseOrThrow(z.strictObject({ s: z.string().min(3, "too short") }), { s: "x" })).errors,
    ).toEqual([{ path: "s", message: "too short" }]);
  });

  it("puts the prefix before every path, and answers VALIDATION_ERROR naming the first field", () => {
    const error = refusal(() => parseOrThrow(shape, { inner: { n: "x" } }, ["secret"]));
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(error.errors).toEqual([
      { path: "secret.name", message: "is required" },
      { path: "secret.inner.n", message: "must be a number" },
    ]);
    expect(error.message).toContain("secret.name is required");
    expect(refusal(() => parseOrThrow(z.string(), 5, ["secret"])).errors).toEqual([
      { path: "secret", message: "must be a string" },
    ]);
  });

  it("walks the input's bounds first: a too-deep value is refused before the schema sees it", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { a: deep };
    expect(refusal(() => parseOrThrow(z.unknown(), deep, ["secret"])).errors).toEqual([
      { path: "secret.a.a.a...", message: "must not nest deeper than 32 levels" },
    ]);
    // parseWalked is for a part already walked: it does not walk again.
    expect(parseWalked(z.unknown(), deep)).toBe(deep);
  });

  it("never echoes the value it refuses", () => {
    const error = refusal(() => parseOrThrow(z.strictObject({ e: z.enum(["a"]) }), { e: "SECRET-VALUE" }));
    expect(JSON.stringify(error.errors)).not.toContain("SECRET-VALUE");
    expect(error.message).not.toContain("SECRET-VALUE");
  });

  it("builds a VALIDATION_ERROR from field errors, and one without any", () => {
    expect(invalid([{ path: "a", message: "is bad" }])).toMatchObject({
      code: "VALIDATION_ERROR",
      errors: [{ path: "a", message: "is bad" }],
    });
    expect(invalid([])).toMatchObject({ code: "VALIDATION_ERROR", errors: [] });
    expect(invalid([]).message).toBe("Invalid request: invalid input");
  });

  it("names a part's paths from its root when no prefix is given", () => {
    expect(refusal(() => parseWalked(shape, {})).errors).toEqual([{ path: "name", message: "is required" }]);
  });
});

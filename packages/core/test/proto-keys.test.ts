import { describe, expect, it } from "vitest";
import { createCredentialBody } from "../src/index.js";
import { parseOrThrow } from "../src/schemas/parse.js";
import { customSecret, customTokenSecret } from "../src/schemas/secrets.js";

// Found by the API fuzz (apps/server/test/fuzz-bodies.test.ts, seed 737900557): zod's records skip an own
// `__proto__` key without an issue, so `custom` query {"__proto__": "..."} was answered 201 and stored
// without that entry.
describe("a __proto__ key anywhere in a body", () => {
  const parsed = (json: string) => JSON.parse(json) as unknown;

  it("is refused, naming its path, instead of being dropped", () => {
    for (const [json, schema, path] of [
      ['{"headers":{"a":"1"},"query":{"__proto__":"x"}}', customSecret, "secret.query.__proto__"],
      ['{"headers":{"__proto__":"x","a":"1"}}', customSecret, "secret.headers.__proto__"],
      [
        '{"tokenUrl":"https://a.example/t","body":{"__proto__":{"a":1}}}',
        customTokenSecret,
        "secret.body.__proto__",
      ],
    ] as const) {
      expect(() => parseOrThrow(schema, parsed(json), ["secret"])).toThrowError(
        expect.objectContaining({
          code: "VALIDATION_ERROR",
          errors: [{ path, message: "is not an accepted name" }],
        }),
      );
    }
    expect(() =>
      parseOrThrow(createCredentialBody, parsed('{"credentialName":"n","__proto__":{}}')),
    ).toThrowError(
      expect.objectContaining({ errors: [{ path: "__proto__", message: "is not an accepted name" }] }),
    );
  });

  it("is found at any depth the JSON bounds allow (deeper bodies are refused before)", () => {
    const deep = `${'{"a":'.repeat(30)}{"__proto__":1}${"}".repeat(30)}`;
    expect(() => parseOrThrow(customTokenSecret, parsed(deep))).toThrowError(/is not an accepted name/);
    const tooDeep = `${'{"a":'.repeat(20_000)}{"__proto__":1}${"}".repeat(20_000)}`;
    expect(() => parseOrThrow(customTokenSecret, parsed(tooDeep))).toThrowError(/deeper than 32 levels/);
  });

  it("leaves other names alone, constructor and toString included", () => {
    expect(parseOrThrow(customSecret, parsed('{"headers":{"constructor":"x","toString":"y"}}'))).toEqual({
      headers: { constructor: "x", toString: "y" },
    });
  });
});

import { describe, expect, it } from "vitest";
import { checkJsonBounds, createCredentialBody, updateCredentialBody } from "../src/index.js";
import { secretSchemas } from "../src/schemas/secrets.js";
import { parseCreateBody, parseSecret, parseUpdateBody } from "../src/service-input.js";

// A body is walked once (depth, size and `__proto__` keys together), however many rules it is held
// to: a second walk costs every create a few microseconds and says nothing new. Counted through
// proxies that record each enumeration of a container's keys.

/** A JSON-like value whose containers count how often their keys are listed. */
function counted(value: unknown, count: { keys: number }): unknown {
  if (value === null || typeof value !== "object") return value;
  const copy = (Array.isArray(value) ? [] : {}) as Record<string, unknown>;
  for (const [key, child] of Object.entries(value)) copy[key] = counted(child, count);
  return new Proxy(copy, {
    ownKeys(target) {
      count.keys++;
      return Reflect.ownKeys(target);
    },
  });
}

/** How often the containers of `body` are enumerated by `run`. */
function enumerations(body: unknown, run: (input: unknown) => unknown): number {
  const count = { keys: 0 };
  run(counted(body, count));
  return count.keys;
}

const body = {
  credentialName: "n",
  credentialType: "target",
  authType: "custom",
  region: "eu-west-1",
  secret: { headers: { "x-a": "1" }, query: { q: "2" } },
};
const containers = 4; // the body, its secret, the secret's headers and query

describe("a body is walked once", () => {
  it("by the bounds check: each container listed once", () => {
    expect(enumerations(body, (input) => checkJsonBounds(input))).toBe(containers);
  });

  it("by a create's parse: one walk on top of what zod itself lists (the secret's schema included)", () => {
    const zodAlone =
      enumerations(body, (input) => createCredentialBody.parse(input)) +
      enumerations(body.secret, (input) => secretSchemas.custom.parse(input));
    expect(enumerations(body, (input) => parseCreateBody(input, 16))).toBe(zodAlone + containers);
  });

  it("by an update's parse; its secret, parsed later by the service, is not walked again", () => {
    const update = { credentialName: "m", secret: body.secret };
    expect(enumerations(update, (input) => parseUpdateBody(input))).toBe(
      enumerations(update, (input) => updateCredentialBody.parse(input)) + containers,
    );
    expect(enumerations(body.secret, (input) => parseSecret("custom", input, "target", 16))).toBe(
      enumerations(body.secret, (input) => secretSchemas.custom.parse(input)),
    );
  });

  it("still refuses what the walk finds, in one pass: depth, size and __proto__ keys", () => {
    const deep = JSON.parse(`${'{"a":'.repeat(40)}1${"}".repeat(40)}`);
    expect(() => parseCreateBody({ ...body, secret: { headers: deep } }, 16)).toThrowError(
      expect.objectContaining({ errors: [expect.objectContaining({ path: "secret.headers.a.a..." })] }),
    );
    expect(() =>
      parseCreateBody({ ...body, secret: JSON.parse('{"headers":{"a":"1"},"query":{"__proto__":"x"}}') }, 16),
    ).toThrowError(
      expect.objectContaining({
        errors: [{ path: "secret.query.__proto__", message: "is not an accepted name" }],
      }),
    );
    expect(checkJsonBounds({ list: Array(20_000).fill(0) })?.message).toBe("must hold at most 10000 values");
  });
});

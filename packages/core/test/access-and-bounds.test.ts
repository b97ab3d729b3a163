import { describe, expect, it } from "vitest";
import {
  type Actor,
  actorScopes,
  assertClientAccess,
  assertMayWriteCredentials,
  assertScope,
  assertSecretAccess,
  checkJsonBounds,
  defaultJsonBounds,
  systemActor,
} from "../src/index.js";

// Who may touch what (access.ts), and the JSON bounds at and past each limit.
const actor = (clientIds: Actor["clientIds"], scopes?: Actor["scopes"]): Actor => ({
  userId: "u",
  clientIds,
  ...(scopes ? { scopes } : {}),
});
const code = (fn: () => void) => {
  try {
    fn();
    return null;
  } catch (error) {
    return (error as { code?: string; errors?: { path: string }[] }).code;
  }
};

describe("access checks", () => {
  it("lets an actor touch only its clients, and validates the id first", () => {
    expect(code(() => assertClientAccess(actor("*"), "acme"))).toBeNull();
    expect(code(() => assertClientAccess(actor(["acme", "beta"]), "beta"))).toBeNull();
    expect(code(() => assertClientAccess(actor(["acme"]), "beta"))).toBe("FORBIDDEN");
    expect(code(() => assertClientAccess(actor(["acme"]), "acm"))).toBe("FORBIDDEN");
    expect(code(() => assertClientAccess(actor([]), "acme"))).toBe("FORBIDDEN");
    expect(code(() => assertClientAccess(actor("*"), `a${"b".repeat(127)}`))).toBeNull();
    for (const bad of ["", `a${"b".repeat(128)}`, "-acme", "ac me", "acme/1"])
      expect(() => assertClientAccess(actor("*"), bad), bad).toThrow(
        expect.objectContaining({
          code: "VALIDATION_ERROR",
          errors: [expect.objectContaining({ path: "clientId" })],
        }),
      );
  });

  it("requires the scope an operation names", () => {
    expect(code(() => assertScope(actor("*", ["resolve"]), "resolve"))).toBeNull();
    expect(code(() => assertScope(actor("*", ["authz"]), "resolve"))).toBe("FORBIDDEN");
    expect(code(() => assertScope(actor("*"), "resolve"))).toBe("FORBIDDEN");
    expect(code(() => assertScope(actor("*", []), "authz"))).toBe("FORBIDDEN");
    expect(code(() => assertSecretAccess(actor(["acme"], ["resolve"]), "acme", "resolve"))).toBeNull();
    expect(code(() => assertSecretAccess(actor(["acme"], ["resolve"]), "beta", "resolve"))).toBe("FORBIDDEN");
    expect(code(() => assertSecretAccess(actor(["acme"], ["authz"]), "acme", "resolve"))).toBe("FORBIDDEN");
  });

  it("refuses credential writes to a gateway token (authz without resolve)", () => {
    expect(code(() => assertMayWriteCredentials(actor("*", ["authz"])))).toBe("FORBIDDEN");
    expect(code(() => assertMayWriteCredentials(actor("*", ["authz", "resolve"])))).toBeNull();
    expect(code(() => assertMayWriteCredentials(actor("*", ["resolve"])))).toBeNull();
    expect(code(() => assertMayWriteCredentials(actor("*", [])))).toBeNull();
    expect(code(() => assertMayWriteCredentials(actor("*")))).toBeNull();
  });

  it("makes the system actor with every scope by default", () => {
    expect(actorScopes).toEqual(["resolve", "authz"]);
    expect(systemActor()).toEqual({ userId: "system", clientIds: "*", scopes: ["resolve", "authz"] });
    expect(systemActor({ clientIds: ["acme"], userId: "proxy", scopes: ["resolve"] })).toEqual({
      userId: "proxy",
      clientIds: ["acme"],
      scopes: ["resolve"],
    });
  });
});

describe("JSON bounds", () => {
  const nested = (levels: number, leaf: unknown = {}) => {
    let value: unknown = leaf;
    for (let i = 1; i < levels; i++) value = { a: value };
    return value;
  };

  it(`takes ${defaultJsonBounds.maxDepth} levels and ${defaultJsonBounds.maxNodes} values, not one more`, () => {
    expect(defaultJsonBounds).toEqual({ maxDepth: 32, maxNodes: 10_000 });
    expect(checkJsonBounds(nested(32))).toBeNull();
    expect(checkJsonBounds(nested(33))?.message).toMatch(/nest deeper than 32/);
    expect(checkJsonBounds(nested(32, "leaf"))).toBeNull(); // a primitive is no level of its own
    const values = (count: number) => Array(count - 1).fill(0); // the array itself is one value
    expect(checkJsonBounds(values(10_000))).toBeNull();
    expect(checkJsonBounds(values(10_001))?.message).toMatch(/at most 10000 values/);
  });

  it("counts objects, arrays and primitives, and nesting through both", () => {
    const bounds = { maxDepth: 2, maxNodes: 5 };
    expect(checkJsonBounds({ a: 1, b: 2, c: 3, d: 4 }, bounds)).toBeNull();
    expect(checkJsonBounds({ a: 1, b: 2, c: 3, d: 4, e: 5 }, bounds)).toMatchObject({ path: "body" });
    expect(checkJsonBounds({ a: 1, b: 2, c: 3, d: 4, e: 5 }, bounds, ["secret"])).toMatchObject({
      path: "secret",
    });
    expect(checkJsonBounds({ a: null, b: [null] }, bounds)).toBeNull();
    expect(checkJsonBounds({ a: { b: {} } }, bounds)).toMatchObject({ path: "a.b" });
    expect(checkJsonBounds([[[]]], bounds)).toMatchObject({ path: "0.0" });
    expect(checkJsonBounds([[1]], bounds)).toBeNull();
    expect(checkJsonBounds("text", { maxDepth: 0, maxNodes: 1 })).toBeNull();
    expect(checkJsonBounds({}, { maxDepth: 0, maxNodes: 1 })).toMatchObject({ path: "body" });
    expect(checkJsonBounds(null, { maxDepth: 0, maxNodes: 1 })).toBeNull();
    // The root is a value of its own: a bound of 0 values refuses even a lone primitive.
    expect(checkJsonBounds("text", { maxDepth: 1, maxNodes: 0 })).toMatchObject({ path: "body" });
  });

  it("names where a too-deep value starts, in at most four segments", () => {
    expect(checkJsonBounds(nested(4), { maxDepth: 3, maxNodes: 100 })).toMatchObject({ path: "a.a.a" });
    expect(checkJsonBounds(nested(5), { maxDepth: 4, maxNodes: 100 })).toMatchObject({ path: "a.a.a.a..." });
    expect(checkJsonBounds(nested(6), { maxDepth: 5, maxNodes: 100 })).toMatchObject({ path: "a.a.a.a..." });
    expect(checkJsonBounds(nested(2), { maxDepth: 1, maxNodes: 100 }, ["x", "y"])).toMatchObject({
      path: "x.y.a",
    });
    expect(checkJsonBounds(nested(2), { maxDepth: 1, maxNodes: 100 }, ["x", "y", "z"])).toMatchObject({
      path: "x.y.z.a...",
    });
  });
});

import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type AuthorizeParts, authorizeProxyRequest } from "../src/authz/authorize.js";
import { type Actor, CredkitError, type ErrorCode } from "../src/index.js";
import type { Verified } from "../src/proxy/accept.js";
import { storedRecord } from "./stored-record.js";

// authorizeProxyRequest's mapping from each thrown error to its refusal, code by code, over parts that
// throw exactly that error (the service-level tests in authorize.test.ts cover the real store paths).
const gateway: Actor = { userId: "gw", clientIds: "*", scopes: ["authz"] };
const passed = (clientId: string): Verified => ({
  ok: true,
  record: storedRecord({ clientId, credentialId: "proxy-1" }),
  degraded: false,
  consumed: true,
});
const headers = { "x-api-key": "value" };

function parts(clientId: string, failure: { verify?: unknown; resolve?: unknown }): AuthorizeParts {
  return {
    verify: async () => {
      if (failure.verify !== undefined) throw failure.verify;
      return passed(clientId);
    },
    resolve: async () => {
      if (failure.resolve !== undefined) throw failure.resolve;
      return { headers: { authorization: "Bearer up" }, query: {} };
    },
  };
}

const error = (code: ErrorCode) => new CredkitError(code, "text that must not matter");

describe("authorizeProxyRequest's refusals", () => {
  it.each([
    ["STORAGE_UNAVAILABLE", "STORAGE_UNAVAILABLE"],
    ["REQUEST_TIMEOUT", "STORAGE_UNAVAILABLE"],
    // Outside a target resolution, a target's error is a bug: INTERNAL, with its cause for the log.
    ["NOT_FOUND", "INTERNAL"],
    ["VALIDATION_ERROR", "INTERNAL"],
    ["REAUTHORIZATION_REQUIRED", "INTERNAL"],
    ["CREDENTIAL_EXPIRED", "INTERNAL"],
    ["UPSTREAM_ERROR", "INTERNAL"],
    ["OUTBOUND_REFUSED", "INTERNAL"],
  ] as const)("maps %s thrown while verifying to %s", async (code, reason) => {
    const clientId = `c-${randomUUID()}`;
    const thrown = error(code);
    const verdict = await authorizeProxyRequest(parts(clientId, { verify: thrown }), gateway, clientId, {
      headers,
    });
    expect(verdict).toEqual(
      reason === "INTERNAL" ? { allowed: false, reason, cause: thrown } : { allowed: false, reason },
    );
  });

  it.each([
    ["STORAGE_UNAVAILABLE", "STORAGE_UNAVAILABLE", false],
    ["REQUEST_TIMEOUT", "STORAGE_UNAVAILABLE", false],
    ["NOT_FOUND", "TARGET_NOT_FOUND", false],
    ["VALIDATION_ERROR", "TARGET_NOT_FOUND", false],
    ["REAUTHORIZATION_REQUIRED", "REAUTHORIZATION_REQUIRED", false],
    ["CREDENTIAL_EXPIRED", "TARGET_EXPIRED", false],
    ["UPSTREAM_ERROR", "TARGET_UNAVAILABLE", true],
    ["OUTBOUND_REFUSED", "TARGET_UNAVAILABLE", true],
    ["CONFLICT", "INTERNAL", true],
  ] as const)("maps %s thrown by the target to %s (cause logged: %s)", async (code, reason, logged) => {
    const clientId = `c-${randomUUID()}`;
    const thrown = error(code);
    const verdict = await authorizeProxyRequest(
      parts(clientId, { resolve: thrown }),
      gateway,
      clientId,
      { headers },
      "target-1",
    );
    // The proxy credential passed (and was spent) before the target failed: both are said.
    expect(verdict).toEqual({
      allowed: false,
      reason,
      credentialId: "proxy-1",
      consumed: true,
      ...(logged ? { cause: thrown } : {}),
    });
  });

  it("maps an error that only looks like credkit's (by its text) to INTERNAL", async () => {
    const clientId = `c-${randomUUID()}`;
    const thrown = new Error("STORAGE_UNAVAILABLE");
    expect(
      await authorizeProxyRequest(parts(clientId, { resolve: thrown }), gateway, clientId, { headers }, "t"),
    ).toMatchObject({ allowed: false, reason: "INTERNAL", cause: thrown });
  });

  it("asks for no target when none is named: undefined, null and the empty string alike", async () => {
    const clientId = `c-${randomUUID()}`;
    // A resolve that would fail shows it was never called.
    const failing = parts(clientId, { resolve: error("NOT_FOUND") });
    for (const target of [undefined, null, ""]) {
      expect(
        await authorizeProxyRequest(failing, gateway, clientId, { headers }, target),
        String(target),
      ).toEqual({ allowed: true, credentialId: "proxy-1", degraded: false, consumed: true, target: null });
    }
    expect(await authorizeProxyRequest(parts(clientId, {}), gateway, clientId, { headers }, "t")).toEqual({
      allowed: true,
      credentialId: "proxy-1",
      degraded: false,
      consumed: true,
      target: { headers: { authorization: "Bearer up" }, query: {} },
    });
  });

  it("refuses an actor without the authz scope, or without this client, before verifying", async () => {
    const clientId = `c-${randomUUID()}`;
    // A verify that would throw shows it was never called.
    const failing = parts(clientId, { verify: new TypeError("must not be called") });
    const forbidden = { allowed: false, reason: "FORBIDDEN" };
    for (const actor of [
      { userId: "u", clientIds: "*", scopes: ["resolve"] },
      { userId: "u", clientIds: "*" },
      { userId: "u", clientIds: [`${clientId}-other`], scopes: ["authz"] },
      { userId: "u", clientIds: [], scopes: ["authz"] },
    ] as Actor[])
      expect(await authorizeProxyRequest(failing, actor, clientId, { headers }), actor.userId).toEqual(
        forbidden,
      );
    const listed: Actor = { userId: "u", clientIds: [clientId], scopes: ["authz"] };
    expect(await authorizeProxyRequest(parts(clientId, {}), listed, clientId, { headers })).toMatchObject({
      allowed: true,
    });
  });
});

import { randomBytes } from "node:crypto";
import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type AuditEvent,
  type CredentialService,
  createCredentialService,
  createKeyring,
  decorate,
  systemActor,
  withAudit,
} from "../src/index.js";

const realService = () =>
  createCredentialService({
    regions: { "eu-west-1": memoryStore() },
    keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
  });

const methodsOf = (value: object) =>
  Object.keys(value)
    .filter((key) => typeof (value as Record<string, unknown>)[key] === "function")
    .sort();

/** A stand-in for `target` whose every method records the arguments it got and answers `answer(name)`. */
function recording(target: object, answer: (method: string) => unknown) {
  const calls: [string, unknown[]][] = [];
  const stub: Record<string, unknown> = { ...target };
  for (const method of methodsOf(target)) {
    stub[method] = (...args: unknown[]) => {
      calls.push([method, args]);
      return Promise.resolve(answer(method));
    };
  }
  return { stub, calls };
}

describe("decorate", () => {
  it("forwards every method, every argument (extra ones included) and the result", async () => {
    class Base {
      readonly name = "base";
      fromPrototype(a: number, b?: string) {
        return Promise.resolve([this.name, a, b]);
      }
    }
    const target = Object.assign(new Base(), { own: (...args: unknown[]) => Promise.resolve(args.length) });
    const seen: string[] = [];
    const decorated = decorate(target, (method, args, invoke) => {
      seen.push(method);
      return invoke(args);
    });
    expect(decorated.name).toBe("base");
    expect(await decorated.fromPrototype(1, "x")).toEqual(["base", 1, "x"]);
    expect(await decorated.own(1, 2, 3, 4, 5)).toBe(5);
    expect(seen).toEqual(["fromPrototype", "own"]);
  });
});

describe("withAudit", () => {
  it("forwards every method of the service with all of its arguments", async () => {
    const service = realService();
    const { stub, calls } = recording(service, () => ({}));
    const audited = withAudit(stub as unknown as CredentialService, { record: () => {} });
    expect(methodsOf(audited)).toEqual(methodsOf(service));
    for (const method of methodsOf(service)) {
      const args = [Symbol("a"), Symbol("b"), Symbol("c"), Symbol("d"), Symbol("e")];
      await (audited as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]?.(...args);
      expect(calls.at(-1)).toEqual([method, args]);
    }
  });

  it("records every method that changes stored state, invalidateTargetToken included", async () => {
    const service = realService();
    const events: AuditEvent[] = [];
    const { stub } = recording(service, (method) =>
      method === "verifyProxyRequest"
        ? { ok: true, credential: { credentialId: "id", credentialSingleUse: true } }
        : method === "authorizeProxyRequest"
          ? { allowed: true, credentialId: "id", degraded: false, consumed: true, target: null }
          : { credentialId: "id", clientId: "acme" },
    );
    const audited = withAudit(stub as unknown as CredentialService, { record: (e) => events.push(e) });
    // Reads, and the expiry sweep (its events are the lifecycle events, not audit lines).
    const reads = ["get", "health", "list", "sweepExpiries"];
    for (const method of methodsOf(service)) {
      const before = events.length;
      await (audited as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]?.(
        systemActor({ userId: "ops" }),
        "acme",
        "id",
      );
      expect([method, events.length - before]).toEqual([method, reads.includes(method) ? 0 : 1]);
    }
    expect(events.map((e) => e.action)).toContain("credential.invalidate");
  });
});

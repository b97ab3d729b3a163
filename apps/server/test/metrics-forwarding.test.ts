import { randomBytes } from "node:crypto";
import {
  type CredentialService,
  type CredentialStore,
  createCredentialService,
  createKeyring,
  type OutboundFetch,
} from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../src/metrics.js";

const methodsOf = (value: object) =>
  Object.keys(value)
    .filter((key) => typeof (value as Record<string, unknown>)[key] === "function")
    .sort();

/** A stand-in for `target` whose every method records its arguments and resolves `answer`. */
function recording<T extends object>(target: T, answer: unknown) {
  const calls: [string, unknown[]][] = [];
  const stub: Record<string, unknown> = { ...(target as Record<string, unknown>) };
  for (const method of methodsOf(target)) {
    stub[method] = (...args: unknown[]) => {
      calls.push([method, args]);
      return Promise.resolve(answer);
    };
  }
  return { stub: stub as T, calls };
}

/** Calls every method of `wrapped` with five distinct arguments; each must reach the stub untouched. */
async function expectForwarded(wrapped: object, calls: [string, unknown[]][], methods: string[]) {
  expect(methodsOf(wrapped)).toStrictEqual(methods);
  for (const method of methods) {
    const args = [Symbol("1"), Symbol("2"), Symbol("3"), Symbol("4"), Symbol("5")];
    await (wrapped as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]?.(...args);
    expect(calls.at(-1)).toStrictEqual([method, args]);
  }
}

describe("the metrics decorators", () => {
  it("forward every store method with every argument (an update's previousLookupHash included)", async () => {
    const store: CredentialStore = memoryStore();
    const { stub, calls } = recording(store, null);
    await expectForwarded(createMetrics().store(stub), calls, methodsOf(store));
  });

  it("forward every argument of an outbound fetch, and its response", async () => {
    const seen: unknown[][] = [];
    const response = new Response("ok");
    const fetch = (async (...args: unknown[]) => {
      seen.push(args);
      return response;
    }) as OutboundFetch;
    const args = ["https://idp.example/token", { method: "POST" }, Symbol("added later")];
    const counted = createMetrics().outbound(fetch) as unknown as (...a: unknown[]) => Promise<Response>;
    expect(await counted(...args)).toBe(response);
    expect(seen).toStrictEqual([args]);
  });

  it("forward every service method with every argument", async () => {
    const service: CredentialService = createCredentialService({
      regions: { "eu-west-1": memoryStore() },
      keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
    });
    const { stub, calls } = recording(service, { ok: false, reason: "NO_CREDENTIAL" });
    await expectForwarded(createMetrics().service(stub), calls, methodsOf(service));
  });
});

import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import { type ReencryptionState, reencryptRegions, type StoredCredential } from "../src/index.js";
import { openTokenState, sealTokenState } from "../src/target/token-state.js";
import {
  admin,
  allRecords,
  freshKeys,
  keyIdsIn,
  newClientId,
  proxyFixtures,
  ring,
  serviceOver,
  targetBodies,
} from "./rotation-fixtures.js";

/** Two stores: eu-west-1 alone, us-east-1 and us-west-2 sharing one; 6 records per region. */
async function seededRegions() {
  const keys = freshKeys();
  const eu = memoryStore();
  const us = memoryStore();
  const regions = { "eu-west-1": eu, "us-east-1": us, "us-west-2": us };
  const before = serviceOver(ring(keys.k1), regions);
  const proxies: { clientId: string; headers: () => Promise<Record<string, string>> }[] = [];
  for (const region of Object.keys(regions)) {
    const clientId = newClientId();
    for (const fixture of proxyFixtures(region)) {
      await before.create(admin, clientId, { ...fixture.body, region });
      proxies.push({ clientId, headers: fixture.headers });
    }
    for (const body of targetBodies(region)) await before.create(admin, clientId, { ...body, region });
  }
  return { keys, regions, eu, us, proxies };
}

describe("reencryptRegions", () => {
  it("walks each distinct store once and resumes from the saved state", async () => {
    const { keys, regions, eu, us, proxies } = await seededRegions();
    const keyring = ring(keys.k2, keys.k1);
    const during = serviceOver(keyring, regions);
    const abort = new AbortController();
    const saves: { state: ReencryptionState; store: string }[] = [];
    const first = await reencryptRegions({
      regions,
      keyring,
      batchSize: 4,
      signal: abort.signal,
      onProgress: (state, store) => {
        saves.push({ state: JSON.parse(JSON.stringify(state)), store });
        // Stop inside the second store.
        if (store === "us-east-1,us-west-2") abort.abort();
      },
    });
    expect(first.done).toBe(false);
    const saved = saves.at(-1)?.state as ReencryptionState;
    expect(first.state).toEqual(saved);
    expect(saved.stores["eu-west-1"]).toEqual({ cursor: null, done: true });
    expect(saved.stores["us-east-1,us-west-2"]?.done).toBe(false);
    expect(saved.counts).toMatchObject({ scanned: 10, reencrypted: 10 });
    for (const { clientId, headers } of proxies) {
      expect(await during.verifyProxyRequest(admin, clientId, { headers: await headers() })).toMatchObject({
        ok: true,
      });
    }

    const second = await reencryptRegions({ regions, keyring, batchSize: 4, state: saved });
    expect(second.done).toBe(true);
    expect(second.state.counts).toEqual({ scanned: 18, reencrypted: 18, skipped: 0, failed: 0 });
    for (const record of [...(await allRecords(eu)), ...(await allRecords(us))]) {
      expect(keyIdsIn(record)).toEqual(["k2"]);
      expect(record.version).toBe(2);
    }
    const after = serviceOver(ring(keys.k2), regions);
    for (const { clientId, headers } of proxies) {
      expect(await after.verifyProxyRequest(admin, clientId, { headers: await headers() })).toMatchObject({
        ok: true,
      });
    }
  });

  it("starts over when the saved state was for another active key", async () => {
    const { keys, regions } = await seededRegions();
    const stale: ReencryptionState = {
      activeKeyId: "k9",
      stores: {
        "eu-west-1": { cursor: null, done: true },
        "us-east-1,us-west-2": { cursor: null, done: true },
      },
      counts: { scanned: 99, reencrypted: 99, skipped: 0, failed: 0 },
    };
    const result = await reencryptRegions({ regions, keyring: ring(keys.k2, keys.k1), state: stale });
    expect(result).toMatchObject({
      done: true,
      state: { activeKeyId: "k2", counts: { scanned: 18, reencrypted: 18 } },
    });
  });

  it("re-seals token state under its own purpose, so nothing references the old key", async () => {
    const keys = freshKeys();
    const store = memoryStore();
    const old = serviceOver(ring(keys.k1), { "eu-west-1": store });
    const clientId = newClientId();
    const created = await old.create(admin, clientId, targetBodies("ts")[0]);
    const record = (await store.get(clientId, created.credentialId)) as StoredCredential;
    const tokenState = sealTokenState(ring(keys.k1), record, {
      access: { token: "access-ts", obtainedAt: 1, expiresAt: 2 },
      refreshToken: "refresh-ts",
    });
    await store.update({ ...record, tokenState, version: record.version + 1 }, record.version);

    const result = await reencryptRegions({
      regions: { "eu-west-1": store },
      keyring: ring(keys.k2, keys.k1),
    });
    expect(result.state.counts).toMatchObject({ reencrypted: 1, failed: 0 });
    const rotated = (await store.get(clientId, created.credentialId)) as StoredCredential;
    expect(keyIdsIn(rotated)).toEqual(["k2"]);
    expect(openTokenState(ring(keys.k2), rotated)).toEqual({
      access: { token: "access-ts", obtainedAt: 1, expiresAt: 2 },
      refreshToken: "refresh-ts",
    });
  });
});

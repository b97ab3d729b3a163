import { randomBytes, randomUUID } from "node:crypto";
import {
  type Actor,
  type AnyCredkitEvent,
  type CredentialService,
  createCredentialService,
  createKeyring,
} from "@credkit/core";
import type { Cluster, Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { redisStore } from "../src/index.js";
import { clusterClient, randomKeyPrefix, standaloneClient } from "./clients.js";
import { deleteKeys } from "./raw-keys.js";

const DAY = 24 * 60 * 60 * 1000;
const admin: Actor = { userId: "ops", clientIds: "*" };
const targets: [string, () => Redis | Cluster][] = [
  ["standalone", standaloneClient],
  ["cluster", clusterClient],
];

// Three services, each with its own connection to one Redis: three processes as far as Redis can tell.
// One clock drives the services and the stores' expiry checks; the marker leases live in Redis.
describe.each(targets)("expiry events across processes on one Redis (%s)", (_kind, makeClient) => {
  const clients = [makeClient(), makeClient(), makeClient()];
  const keyPrefix = randomKeyPrefix();
  const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
  let at = Date.now();
  const now = () => at;
  const events: AnyCredkitEvent[] = [];
  const services: CredentialService[] = clients.map((client) => {
    const service = createCredentialService({
      regions: { "eu-west-1": redisStore({ client, keyPrefix, now }) },
      keyring,
      defaultRegion: "eu-west-1",
      now,
      nearCache: { ttlMs: 0 },
    });
    service.events.subscribe(["credential.expiring", "credential.expired"], (event) => events.push(event));
    return service;
  });

  afterAll(async () => {
    await deleteKeys(clients[0] as Redis | Cluster, keyPrefix);
    await Promise.all(clients.map((client) => client.quit()));
  });

  it("emit exactly one credential.expiring per threshold and one credential.expired, however many sweep", async () => {
    const clientId = `c-${randomUUID()}`;
    const end = at + 8 * DAY;
    const keyValue = `key-${randomUUID()}`;
    const created = await services[0]?.create(admin, clientId, {
      credentialName: "expiring",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue },
      expiresAt: new Date(end).toISOString(),
    });
    const mine = () =>
      events
        .filter((e) => e.data.credentialId === created?.credentialId)
        .map((e) => (e.type === "credential.expiring" ? `expiring ${e.data.leadSeconds}` : e.type));
    // Every process sweeps four times at each step, all at once.
    const sweepEverywhere = () =>
      Promise.all(services.flatMap((service) => [1, 2, 3, 4].map(() => service.sweepExpiries())));
    await sweepEverywhere();
    expect(mine()).toEqual([]);
    for (const step of [DAY, 6 * DAY, DAY]) {
      at += step;
      await sweepEverywhere();
    }
    at += 10 * DAY;
    await sweepEverywhere();
    expect(mine()).toEqual(["expiring 604800", "expiring 86400", "credential.expired"]);
    // And refused by every process.
    for (const service of services) {
      const verdict = await service.verifyProxyRequest(admin, clientId, {
        headers: { "x-api-key": keyValue },
      });
      expect(verdict).toEqual({ ok: false, reason: "EXPIRED" });
    }
  });
});

import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type Actor,
  type CredentialStore,
  CredkitError,
  createCredentialService,
  createKeyring,
  regionOfCredentialId,
} from "../src/index.js";
import { createRecords } from "../src/records/records.js";
import { createRegionRouter } from "../src/regions.js";
import { storedRecord } from "./stored-record.js";

// The steps of a GET of one credential, which are plain functions rather than async ones (no frame
// per call): the credential id parsed once into its store, the record read into what its caller needs,
// and the service's get. Each still rejects, never throws, whatever fails.
const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
const admin: Actor = { userId: "alice", clientIds: "*" };

describe("a credential id's store", () => {
  const suffix = "q1Xo2cV9aJ3m0Zr7TnB4wA";

  it("is its region's store for a well-formed id, and none for any other string", async () => {
    const eu = memoryStore();
    const constructorStore = memoryStore();
    const router = createRegionRouter({ "eu-west-1": eu, constructor: constructorStore });
    expect(router.storeForId(`eu-west-1.${suffix}`)).toBe(eu);
    expect(regionOfCredentialId(`eu-west-1.${suffix}`)).toBe("eu-west-1");
    expect(router.storeForId(`constructor.${suffix}`)).toBe(constructorStore);
    const malformed = [
      "",
      ".",
      "eu-west-1",
      "eu-west-1.",
      `.${suffix}`,
      `eu-west-1.${suffix.slice(1)}`,
      `eu-west-1.${suffix}A`,
      `eu-west-1..${suffix}`,
      `eu-west-1.${suffix}.x`,
      `eu-west-1.${suffix.slice(1)}.`,
      `EU-west-1.${suffix}`,
      `eu--west-1.${suffix}`,
      `-eu-west-1.${suffix}`,
      `eu-west-1.${suffix.slice(1)}+`,
      ` eu-west-1.${suffix}`,
      `eu-west-1.${suffix}\n`,
      `eu-west-1.${suffix.slice(1)}é`,
      `${"a".repeat(1_000_000)}.${suffix}!`,
    ];
    for (const id of malformed) {
      expect(regionOfCredentialId(id), JSON.stringify(id.slice(0, 40))).toBeNull();
      expect(router.storeForId(id), JSON.stringify(id.slice(0, 40))).toBeNull();
    }
    // Well formed, but not served here: a name every plain object inherits included.
    const euOnly = createRegionRouter({ "eu-west-1": eu });
    for (const region of ["us-east-1", "constructor"]) {
      expect(regionOfCredentialId(`${region}.${suffix}`)).toBe(region);
      expect(euOnly.storeForId(`${region}.${suffix}`)).toBeNull();
    }
  });
});

describe("the record layer's read", () => {
  it("reads a record into what its caller makes of it, in the load's rules, every failure a rejection", async () => {
    const eu = memoryStore();
    const records = createRecords({
      router: createRegionRouter({ "eu-west-1": eu }),
      keyring,
      expiredRetentionMs: 1000,
    });
    const record = storedRecord();
    await eu.create(record);
    const seen: unknown[] = [];
    const name = await records.read(record.clientId, record.credentialId, (found, store) => {
      seen.push(found, store);
      return found.name;
    });
    expect(name).toBe(record.name);
    expect(seen).toStrictEqual([record, eu]);
    // Never a synchronous throw: a bad id, an absent record and a failing `use` all reject.
    const never = () => {
      throw new Error("use ran without a record");
    };
    for (const id of ["nonsense", record.credentialId.replace("eu-west-1", "us-east-1")]) {
      const read = records.read(record.clientId, id, never);
      await expect(read, id).rejects.toMatchObject({ code: "NOT_FOUND" });
    }
    const absent = records.read(`${record.clientId}-x`, record.credentialId, never);
    await expect(absent).rejects.toMatchObject({ code: "NOT_FOUND" });
    const failing = records.read(record.clientId, record.credentialId, () => {
      throw new CredkitError("INTERNAL", "use failed");
    });
    await expect(failing).rejects.toThrow("use failed");
  });
});

describe("the service's get", () => {
  it("rejects a get it refuses or cannot answer, never throwing synchronously", async () => {
    const store = memoryStore();
    let gets = 0;
    const counted: CredentialStore = {
      ...store,
      get: (...args) => {
        gets++;
        return store.get(...args);
      },
    };
    const service = createCredentialService({ regions: { "eu-west-1": counted }, keyring });
    const clientId = `c-${randomUUID()}`;
    const created = await service.create(admin, clientId, {
      credentialName: "upstream",
      credentialType: "target",
      authType: "bearer",
      region: "eu-west-1",
      secret: { token: "upstream-token-0123456789" },
    });
    const other: Actor = { userId: "bob", clientIds: ["someone-else"] };
    const refusals = [
      [() => service.get(other, clientId, created.credentialId), "FORBIDDEN"],
      [() => service.get(admin, "bad/id", created.credentialId), "VALIDATION_ERROR"],
      [() => service.get(admin, clientId, "nonsense"), "NOT_FOUND"],
    ] as const;
    for (const [call, code] of refusals) {
      let answer: Promise<unknown> | undefined;
      expect(() => {
        answer = call();
      }).not.toThrow();
      await expect(answer).rejects.toMatchObject({ code });
    }
    // A store that throws instead of rejecting (outside the store contract) still makes a rejection.
    const throwing: CredentialStore = {
      ...memoryStore(),
      get: () => {
        throw new Error("store down");
      },
    };
    const failing = createCredentialService({ regions: { "eu-west-1": throwing }, keyring });
    let answer: Promise<unknown> | undefined;
    expect(() => {
      answer = failing.get(admin, clientId, created.credentialId);
    }).not.toThrow();
    await expect(answer).rejects.toThrow("store down");
    // Refused before any read: the tenancy check, the client id and the id's form come first.
    expect(gets).toBe(0);
    const view = await service.get(admin, clientId, created.credentialId);
    expect(view).toStrictEqual(created);
    expect(gets).toBe(1);
  });
});

// A strict TypeScript consumer: every public package's types resolve, under nodenext and bundler.
import {
  type Actor,
  type CredentialService,
  type CredentialStore,
  createCredentialService,
  createKeyring,
  decodeMasterKey,
  generateMasterKey,
} from "@credkit/core";
import {
  type AuthenticatedActor,
  type CredkitRouterOptions,
  createCredkitRouter,
  createHealthRouter,
} from "@credkit/express";
import { createCredkitTable, dynamoDbStore } from "@credkit/storage-dynamodb";
import { memoryStore } from "@credkit/storage-memory";
import { redisStore } from "@credkit/storage-redis";
import { type StoreConformanceOptions, storeConformanceSuite } from "@credkit/storage-test-suite";
import type { Express } from "express";
import { notebookStore } from "./custom-store.js";

const master = generateMasterKey();
const stores: CredentialStore[] = [memoryStore(), notebookStore()];
const service: CredentialService = createCredentialService({
  regions: { "eu-west-1": stores[0] as CredentialStore },
  keyring: createKeyring({
    activeKeyId: master.id,
    keys: [{ id: master.id, key: decodeMasterKey(master.key) }],
  }),
});
const caller: AuthenticatedActor = { userId: "u", clientIds: ["acme"], scopes: [] };
const actor: Actor = caller;
const options: CredkitRouterOptions = { service, authenticate: async () => caller, notFound: false };
// The router is one Express middleware and the health handler a plain node:http one: Express mounts both.
declare const app: Express;
app.use("/api", createCredkitRouter(options));
app.use(createHealthRouter(service));
const suite: StoreConformanceOptions = { makeStore: () => memoryStore() };
export const used = [actor, suite, storeConformanceSuite, redisStore, dynamoDbStore, createCredkitTable];

import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore, proxy as proxyBody } from "@credkit/test-support";
import { SignJWT } from "jose";
import {
  type Actor,
  type AuthTypeOf,
  type CreateCredentialInput,
  type CredentialService,
  type CredentialStore,
  createCredentialService,
  createKeyring,
  type Keyring,
  type MasterKey,
  type RegionMap,
  type SecretInputOf,
  type StoredCredential,
} from "../src/index.js";

/** The actor every fixture acts as. */
export const admin: Actor = { userId: "ops", clientIds: "*", scopes: ["resolve"] };

/** Fresh master keys `k1` (the old key) and `k2` (the new one). */
export function freshKeys(): { k1: MasterKey; k2: MasterKey } {
  return { k1: { id: "k1", key: randomBytes(32) }, k2: { id: "k2", key: randomBytes(32) } };
}

/** A keyring over `keys` with `active` active. */
export function ring(active: MasterKey, ...others: MasterKey[]): Keyring {
  return createKeyring({ activeKeyId: active.id, keys: [active, ...others] });
}

/** A service over `regions` (or one memory store in eu-west-1). */
export function serviceOver(keyring: Keyring, regions?: RegionMap): CredentialService {
  const map = regions ?? { "eu-west-1": memoryStore() };
  return createCredentialService({ regions: map, keyring, defaultRegion: Object.keys(map).sort()[0] });
}

const JWT_SECRET = "rotation-shared-hs256-secret-0123456789";
const ISSUER = "https://issuer.rotation.example";

/** A presented request and the create body of the proxy credential that accepts it. */
export interface ProxyFixture {
  body: CreateCredentialInput;
  headers: () => Promise<Record<string, string>>;
}

/** One proxy credential of each keyed-lookup auth type (and jwtVerify), with the headers each accepts. */
export function proxyFixtures(tag: string): [ProxyFixture, ProxyFixture, ProxyFixture, ProxyFixture] {
  const basic = Buffer.from(`svc-${tag}:pw-long-enough-${tag}`).toString("base64");
  const proxy = <A extends AuthTypeOf<"proxy">>(authType: A, secret: SecretInputOf<A>) =>
    proxyBody(authType, secret, { credentialName: `${authType}-${tag}` });
  return [
    {
      body: proxy("apiKey", { keyName: "X-Api-Key", keyValue: `key-long-enough-${tag}` }),
      headers: async () => ({ "x-api-key": `key-long-enough-${tag}` }),
    },
    {
      body: proxy("bearer", { token: `bearer-long-enough-${tag}` }),
      headers: async () => ({ authorization: `Bearer bearer-long-enough-${tag}` }),
    },
    {
      body: proxy("basicAuth", { username: `svc-${tag}`, password: `pw-long-enough-${tag}` }),
      headers: async () => ({ authorization: `Basic ${basic}` }),
    },
    {
      body: proxy("jwtVerify", {
        algorithms: ["HS256"],
        issuer: ISSUER,
        audience: "api",
        secret: JWT_SECRET,
      }),
      headers: async () => ({
        authorization: `Bearer ${await new SignJWT({ aud: "api" })
          .setProtectedHeader({ alg: "HS256" })
          .setIssuer(ISSUER)
          .setExpirationTime("5m")
          .sign(new TextEncoder().encode(JWT_SECRET))}`,
      }),
    },
  ];
}

/** Target credentials: sealed secrets without a lookup hash. */
export function targetBodies(tag: string): [CreateCredentialInput, CreateCredentialInput] {
  return [
    {
      credentialName: `t-bearer-${tag}`,
      credentialType: "target",
      authType: "bearer",
      secret: { token: `t-${tag}` },
    },
    {
      credentialName: `t-custom-${tag}`,
      credentialType: "target",
      authType: "custom",
      secret: { headers: { "X-Upstream": `u-${tag}` } },
    },
  ];
}

/** A fresh client id. */
export const newClientId = () => `c-${randomUUID()}`;

/** Every record of a store, through its scan. */
export async function allRecords(store: CredentialStore): Promise<StoredCredential[]> {
  const records: StoredCredential[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.scan({ limit: 1000, ...(cursor ? { cursor } : {}) });
    records.push(...page.items);
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return records;
}

/** Key ids referenced anywhere in a record: envelope key ids and the lookup hash's key id. */
export function keyIdsIn(record: StoredCredential): string[] {
  const ids = new Set<string>();
  for (const value of Object.values(record)) {
    if (typeof value !== "string") continue;
    const envelope = /^ck1\.([A-Za-z0-9_-]+)\./.exec(value);
    if (envelope) ids.add(envelope[1] as string);
  }
  if (record.lookupHash !== null) ids.add(record.lookupHash.split(".")[0] as string);
  return [...ids];
}

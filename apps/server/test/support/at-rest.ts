import { createHash, randomBytes, randomUUID } from "node:crypto";
import { apiKeyLookupValue, basicLookupValue, bearerLookupValue } from "@credkit/core";
import {
  authorizeAtMock,
  type MockOAuth,
  startMockOAuth,
  startWebhookReceiver,
  type WebhookReceiver,
} from "@credkit/test-support";
import { expect } from "vitest";
import { apiClient } from "./api-client.js";
import { waitFor } from "./server-process.js";

/** The user tokens of an at-rest server: an admin, and a proxy allowed to resolve. */
export const atRestTokens = {
  admin: `at-rest-admin-${randomUUID()}`,
  resolver: `at-rest-resolver-${randomUUID()}`,
};

/** The variables every at-rest server shares, on top of its store's: tokens, loopback outbound, fast retries. */
export function atRestEnv(masterKey: string): Record<string, string> {
  return {
    CREDKIT_REGIONS: "*",
    CREDKIT_MASTER_KEY: masterKey,
    CREDKIT_USER_TOKENS: JSON.stringify([
      { token: atRestTokens.admin, userId: "ops", clientIds: "*" },
      { token: atRestTokens.resolver, userId: "proxy", clientIds: "*", scopes: ["resolve"] },
    ]),
    CREDKIT_OUTBOUND_ALLOW_HOSTS: "127.0.0.1",
    // Deliveries to the refusing receiver are given up on fast, so failed deliveries lie at rest too.
    CREDKIT_WEBHOOK_MAX_ATTEMPTS: "2",
    CREDKIT_WEBHOOK_RETRY_BASE_MS: "20",
    CREDKIT_WEBHOOK_POLL_MS: "50",
  };
}

/** A distinctive random secret (letters and digits only, so every schema takes it). */
const fresh = (label: string) => `${label}${randomBytes(18).toString("hex")}`;

/** The outside servers an at-rest run talks to: a token endpoint and a webhook receiver that refuses. */
export async function startAtRestPeers() {
  const oauth: MockOAuth = await startMockOAuth();
  const refusing: WebhookReceiver = await startWebhookReceiver();
  refusing.answer(() => 503);
  return {
    oauth,
    refusing,
    async stop() {
      await Promise.all([oauth.stop(), refusing.stop()]);
    },
  };
}

/**
 * Writes, through the server's API, every kind of secret credkit stores, and what leaves state behind
 * (a replaced secret, an idempotent create, a spent single use, a cached target token, a webhook whose
 * deliveries fail). Returns each secret by label, and the ids that must be at rest (the
 * credentials' and the webhook's).
 */
export async function writeEverySecret(
  url: string,
  peers: Awaited<ReturnType<typeof startAtRestPeers>>,
  masterKey: string,
): Promise<{ secrets: Record<string, string | Buffer>; ids: string[] }> {
  const api = apiClient(url, atRestTokens.admin);
  const asResolver = apiClient(url, atRestTokens.resolver);
  const client = `acme-${randomBytes(4).toString("hex")}`;
  const secrets: Record<string, string | Buffer> = {
    adminToken: atRestTokens.admin,
    resolverToken: atRestTokens.resolver,
    masterKey,
    masterKeyBytes: Buffer.from(masterKey, "base64"),
  };
  const ids: string[] = [];
  // Every token the token endpoint issues (access, refresh, id tokens) is secret material too.
  const issued: string[] = [];
  const stopWatching = peers.oauth.onTokenResponse((response) => {
    const body = response.body as Record<string, unknown>;
    for (const name of ["access_token", "refresh_token", "id_token"])
      if (typeof body[name] === "string") issued.push(body[name]);
  }, true);
  const create = async (
    credentialType: string,
    authType: string,
    secret: unknown,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) => {
    const res = await api(
      "POST",
      `/api/clients/${client}/credentials`,
      {
        credentialName: `${credentialType} ${authType}`,
        credentialType,
        authType,
        region: "eu-west-1",
        secret,
        ...extra,
      },
      headers,
    );
    expect(res.status, res.text).toBe(201);
    const id = res.body.credentials[0].credentialId as string;
    ids.push(id);
    return { id, body: res.body };
  };

  // A webhook first, so every later change leaves events, outbox entries and failed deliveries behind.
  const hook = await api("POST", `/api/clients/${client}/webhooks`, {
    url: peers.refusing.url,
    eventTypes: ["credential.created", "credential.updated", "credential.deleted", "credential.consumed"],
  });
  expect(hook.status, hook.text).toBe(201);
  const signingSecret = hook.body.webhooks[0].signingSecret as string;
  secrets.signingSecret = signingSecret;
  secrets.signingKeyBytes = Buffer.from(signingSecret.replace(/^whsec_/, ""), "base64");

  // Proxy credentials: each one found later by a keyed lookup hash, never by the value itself.
  for (const s of ["proxyApiKey", "proxyBearer", "proxyBasicPassword", "proxyJwtSignature", "jwtVerifyHs"])
    secrets[s] = fresh(s);
  const proxyJwt = `eyJhbGciOiJIUzI1NiJ9.${fresh("payload")}.${secrets.proxyJwtSignature}`;
  secrets.proxyJwt = proxyJwt;
  await create("proxy", "apiKey", { keyName: "X-Api-Key", keyValue: secrets.proxyApiKey });
  await create("proxy", "bearer", { token: secrets.proxyBearer });
  await create("proxy", "jwt", { token: proxyJwt });
  const basicUser = `user${randomBytes(4).toString("hex")}`;
  await create("proxy", "basicAuth", { username: basicUser, password: secrets.proxyBasicPassword });
  // What a client presents for it: `base64(username:password)`, derived from the secret.
  secrets.proxyBasicHeader = Buffer.from(`${basicUser}:${secrets.proxyBasicPassword}`).toString("base64");
  // What a proxy credential is found by (kind, header and value): only its keyed hash may be stored.
  secrets.apiKeyLookup = apiKeyLookupValue("X-Api-Key", secrets.proxyApiKey as string);
  secrets.bearerLookup = bearerLookupValue(secrets.proxyBearer as string);
  secrets.jwtLookup = bearerLookupValue(proxyJwt);
  secrets.basicLookup = basicLookupValue(basicUser, secrets.proxyBasicPassword as string);
  await create("proxy", "jwtVerify", {
    algorithms: ["HS256"],
    issuer: `https://issuer-${randomBytes(4).toString("hex")}.example`,
    audience: "credkit",
    secret: secrets.jwtVerifyHs,
  });

  // Target credentials of every kind.
  for (const s of [
    "targetApiKey",
    "targetBearerOld",
    "targetBearerNew",
    "targetBasicPassword",
    "clientCredentialsSecret",
    "authorizationCodeSecret",
    "customTokenHeader",
    "customTokenBody",
    "customHeader",
    "customQuery",
    "idempotentBearer",
    "singleUseKey",
  ])
    secrets[s] = fresh(s);
  await create("target", "apiKey", { keyName: "X-Partner-Key", keyValue: secrets.targetApiKey });
  await create("target", "basicAuth", { username: "partner", password: secrets.targetBasicPassword });
  await create("target", "custom", {
    headers: { "X-Custom-Secret": secrets.customHeader },
    query: { sig: secrets.customQuery },
  });
  await create("target", "customToken", {
    tokenUrl: peers.oauth.tokenUrl,
    headers: { "X-Token-Key": secrets.customTokenHeader },
    body: { grant_type: "client_credentials", client_secret: secrets.customTokenBody },
  });
  const pending = await create("target", "oauth2", {
    grantType: "authorization_code",
    authorizationUrl: peers.oauth.authorizeUrl,
    tokenUrl: peers.oauth.tokenUrl,
    clientId: "web-app",
    clientSecret: secrets.authorizationCodeSecret,
    redirectUri: `${url}/api/oauth2/callback`,
  });
  // Its `state` is what the callback is accepted by: only a keyed hash of it may be stored.
  const authorizationUrl = new URL(pending.body.authorizationUrl as string);
  secrets.oauthState = authorizationUrl.searchParams.get("state") as string;
  expect(secrets.oauthState.length).toBeGreaterThan(16);
  // Another one authorized by the end user: its code is exchanged, its tokens sealed in its record.
  secrets.authorizedCodeSecret = fresh("authorizedCodeSecret");
  const authorized = await create("target", "oauth2", {
    grantType: "authorization_code",
    authorizationUrl: peers.oauth.authorizeUrl,
    tokenUrl: peers.oauth.tokenUrl,
    clientId: "web-app",
    clientSecret: secrets.authorizedCodeSecret,
    redirectUri: `${url}/api/oauth2/callback`,
  });
  const { location, code } = await authorizeAtMock(authorized.body.authorizationUrl as string);
  secrets.authorizationCode = code;
  expect((await fetch(location)).status).toBe(200);

  // A client-credentials target resolved once: the token it fetched must not reach the store.
  const cc = await create("target", "oauth2", {
    grantType: "client_credentials",
    tokenUrl: peers.oauth.tokenUrl,
    clientId: "machine",
    clientSecret: secrets.clientCredentialsSecret,
  });
  const resolved = await asResolver("POST", `/api/clients/${client}/credentials/${cc.id}/resolve`);
  expect(resolved.status, resolved.text).toBe(200);
  secrets.cachedAccessToken = (resolved.body.headers.Authorization as string).replace(/^Bearer /, "");

  // A secret replaced by an update: the old one must not linger anywhere.
  const replaced = await create("target", "bearer", { token: secrets.targetBearerOld });
  const put = await api("PUT", `/api/clients/${client}/credentials/${replaced.id}`, {
    secret: { token: secrets.targetBearerNew },
  });
  expect(put.status, put.text).toBe(200);

  // An idempotent create: its stored record (the claim and the answer) must hold no secret.
  const key = `idem-${randomUUID()}`;
  const idempotent = () =>
    create("target", "bearer", { token: secrets.idempotentBearer }, {}, { "Idempotency-Key": key });
  const first = await idempotent();
  // The replay answers from the stored record: the same credential, not a second one.
  expect((await idempotent()).id).toBe(first.id);

  // A single-use proxy key spent by its first verification.
  const single = await create(
    "proxy",
    "apiKey",
    { keyName: "X-Once-Key", keyValue: secrets.singleUseKey },
    { singleUse: true },
  );
  const spent = await api("POST", `/api/clients/${client}/verify`, {
    headers: { "X-Once-Key": secrets.singleUseKey },
  });
  expect(spent.body).toMatchObject({ allowed: true });
  ids.splice(ids.indexOf(single.id), 1);

  // The refusing receiver's deliveries are given up on: failed deliveries now lie at rest.
  const hookId = hook.body.webhooks[0].webhookId as string;
  await waitFor(
    async () => {
      const failed = await api("GET", `/api/clients/${client}/webhooks/${hookId}/failed-deliveries`);
      return failed.status === 200 && failed.body.deliveries.length > 0;
    },
    30_000,
    "a failed delivery",
  );
  // The outbox, its events and failed deliveries name the webhook: they must be in the dump too.
  ids.push(hookId);
  stopWatching();
  expect(issued.length).toBeGreaterThanOrEqual(2);
  for (const [i, issuedToken] of issued.entries()) secrets[`issuedToken${i}`] = issuedToken;
  return { secrets, ids };
}

const digests = ["sha256", "sha1", "sha512", "md5"] as const;
const encodings = ["hex", "base64", "base64url"] as const;

/**
 * Every form of `secret` that an unkeyed store could hold: itself, its base64, base64url and hex, and
 * its sha256/sha1/sha512/md5 digest raw and in hex, base64 and base64url (lower and upper case hex).
 */
export function secretForms(secret: string | Buffer): { form: string; bytes: Buffer }[] {
  const raw = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, "utf8");
  const forms: { form: string; bytes: Buffer }[] = [{ form: "itself", bytes: raw }];
  const encode = (bytes: Buffer, name: string) => {
    for (const encoding of encodings) {
      // Unpadded base64 is what a prefix of a longer base64 run looks like.
      const text = bytes.toString(encoding).replace(/=+$/, "");
      forms.push({ form: `${name} ${encoding}`, bytes: Buffer.from(text) });
    }
    forms.push({ form: `${name} HEX`, bytes: Buffer.from(bytes.toString("hex").toUpperCase()) });
  };
  encode(raw, "value");
  for (const digest of digests) {
    const hash = createHash(digest).update(raw).digest();
    forms.push({ form: `${digest} raw`, bytes: hash });
    encode(hash, digest);
  }
  return forms;
}

/**
 * Asserts the raw bytes at rest hold none of `secrets` in any {@link secretForms} form, and that they
 * are not empty: every credential id and a `ck1.` envelope are there, so the check read real records.
 */
export function expectNothingSecretAtRest(
  dump: Buffer,
  secrets: Record<string, string | Buffer>,
  ids: string[],
): void {
  expect(dump.includes("ck1.")).toBe(true);
  for (const id of ids) expect(dump.includes(id), `credential ${id} at rest`).toBe(true);
  const found: string[] = [];
  for (const [label, secret] of Object.entries(secrets))
    for (const { form, bytes } of secretForms(secret))
      if (dump.includes(bytes)) found.push(`${label} (${form})`);
  expect(found).toEqual([]);
}

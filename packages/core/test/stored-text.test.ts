import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore, proxy as proxyBody, target as targetBody } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type Actor,
  type AuthTypeOf,
  type CreateCredentialInput,
  createCredentialService,
  createKeyring,
  type SecretInputOf,
} from "../src/index.js";

// Issue 20: text that is not text, weak proxy secrets and reserved key names are refused at the door,
// with a 400 (VALIDATION_ERROR) naming the field, and nothing is written.

const admin: Actor = { userId: "alice", clientIds: "*", scopes: ["resolve"] };
const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });

function setup(options: { minProxySecretLength?: number } = {}) {
  const store = memoryStore();
  const service = createCredentialService({
    regions: { "eu-west-1": store },
    keyring,
    defaultRegion: "eu-west-1",
    ...options,
  });
  return { service, clientId: `c-${randomUUID()}` };
}

const proxy = <A extends AuthTypeOf<"proxy">>(authType: A, secret: SecretInputOf<A>) =>
  proxyBody(authType, secret, { credentialName: "partner" });
const target = <A extends AuthTypeOf<"target">>(authType: A, secret: SecretInputOf<A>) =>
  targetBody(authType, secret, { credentialName: "upstream" });
const LONG = "k".repeat(16);

/** The field errors of a refused call (failing the test when it was not refused). */
async function refusedFields(call: Promise<unknown>): Promise<string[]> {
  const error = await call.then(
    () => {
      throw new Error("expected a VALIDATION_ERROR");
    },
    (e: unknown) => e as { code: string; errors: { path: string }[] },
  );
  expect(error.code).toBe("VALIDATION_ERROR");
  return error.errors.map((e) => e.path);
}

// Each code point the rule names, and a lone surrogate of each half (what `"x\ud800y"` in JSON yields).
const unsafe = [
  ["a lone high surrogate", "x\ud800y"],
  ["a lone low surrogate", "\udc00"],
  ["RIGHT-TO-LEFT OVERRIDE", "abc\u202Edef"],
  ["LEFT-TO-RIGHT EMBEDDING", "\u202Aname"],
  ["FIRST STRONG ISOLATE", "a\u2068b"],
  ["POP DIRECTIONAL ISOLATE", "a\u2069"],
  ["ZERO WIDTH SPACE", "na\u200Bme"],
  ["ZERO WIDTH JOINER", "na\u200Dme"],
  ["WORD JOINER", "na\u2060me"],
  ["BYTE ORDER MARK", "na\uFEFFme"],
  ["LINE SEPARATOR", "a\u2028b"],
  ["PARAGRAPH SEPARATOR", "a\u2029b"],
] as const;

describe("stored text (issue 20 item 4)", () => {
  it.each(unsafe)("refuses %s in credentialName on create and update", async (_, bad) => {
    const { service, clientId } = setup();
    expect(
      await refusedFields(service.create(admin, clientId, { ...target("none", {}), credentialName: bad })),
    ).toEqual(["credentialName"]);
    const created = await service.create(admin, clientId, target("none", {}));
    expect(
      await refusedFields(service.update(admin, clientId, created.credentialId, { credentialName: bad })),
    ).toEqual(["credentialName"]);
    expect((await service.list(admin, clientId)).credentials.map((c) => c.credentialName)).toEqual([
      "upstream",
    ]);
  });

  it("keeps accepting real text: accents, CJK, emoji (a surrogate pair), tabs in header values", async () => {
    const { service, clientId } = setup();
    const name = "Zürich 東京 🔑 ok";
    await expect(
      service.create(admin, clientId, { ...target("none", {}), credentialName: name }),
    ).resolves.toMatchObject({
      credentialName: name,
    });
  });

  it("refuses them in every stored secret string, naming the field", async () => {
    const { service, clientId } = setup();
    const z = "\u200B";
    const cases: [CreateCredentialInput, string][] = [
      [target("custom", { headers: { "X-A": "v" }, query: { [`k${z}`]: "v" } }), `secret.query.k${z}`],
      [target("custom", { headers: { "X-A": "v" }, query: { k: `v${z}` } }), "secret.query.k"],
      [target("customToken", { tokenUrl: "https://t.example/token", tokenPath: `a${z}` }), "secret.tokenPath"],
      [target("customToken", { tokenUrl: "https://t.example/token", body: `x\ud800` }), "secret.body"],
      [target("customToken", { tokenUrl: "https://t.example/token", body: { a: { b: ["\u202E"] } } }), "secret.body"],
      [target("oauth2", { grantType: "client_credentials", tokenUrl: "https://t.example/t", clientId: `c${z}`, clientSecret: "s" }), "secret.clientId"],
      [target("oauth2", { grantType: "client_credentials", tokenUrl: "https://t.example/t", clientId: "c", clientSecret: "s", scopes: ["a\u2028"] }), "secret.scopes.0"],
      [proxy("jwtVerify", { algorithms: ["RS256"], issuer: "\udc00", audience: "a", jwksUri: "https://i.example/j" }), "secret.issuer"],
      [proxy("jwtVerify", { algorithms: ["RS256"], issuer: "i", audience: ["a", "b\u2066"], jwksUri: "https://i.example/j" }), "secret.audience"],
      [proxy("jwtVerify", { algorithms: ["RS256"], issuer: "i", audience: "a", subject: `s${z}`, jwksUri: "https://i.example/j" }), "secret.subject"],
      [proxy("jwtVerify", { algorithms: ["HS256"], issuer: "i", audience: "a", secret: `${"s".repeat(32)}\ud800` }), "secret.secret"],
    ]; // biome-ignore format: a table
    for (const [body, path] of cases) {
      const paths = await refusedFields(service.create(admin, clientId, body));
      expect(
        paths.some((p) => p === path || p.startsWith(`${path}.`)),
        `${path} in ${paths}`,
      ).toBe(true);
    }
    expect((await service.list(admin, clientId)).credentials).toEqual([]);
  });
});

describe("proxy secrets worth their name (issue 20 item 2)", () => {
  it("refuses a proxy secret under 16 characters, naming the presented field", async () => {
    const { service, clientId } = setup();
    const short = "k".repeat(15);
    const cases: [CreateCredentialInput, string][] = [
      [proxy("apiKey", { keyName: "X-Api-Key", keyValue: "ab" }), "secret.keyValue"],
      [proxy("apiKey", { keyName: "X-Api-Key", keyValue: short }), "secret.keyValue"],
      [proxy("bearer", { token: short }), "secret.token"],
      [proxy("jwt", { token: "a.b.c" }), "secret.token"],
      [proxy("basicAuth", { username: "svc-long-username", password: short }), "secret.password"],
    ];
    for (const [body, path] of cases)
      expect(await refusedFields(service.create(admin, clientId, body))).toEqual([path]);
    expect((await service.list(admin, clientId)).credentials).toEqual([]);
    await expect(
      service.create(admin, clientId, proxy("apiKey", { keyName: "X-Api-Key", keyValue: LONG })),
    ).resolves.toBeDefined();
  });

  it("refuses a short secret on update too, and keeps the old one", async () => {
    const { service, clientId } = setup();
    const created = await service.create(admin, clientId, proxy("bearer", { token: LONG }));
    expect(
      await refusedFields(service.update(admin, clientId, created.credentialId, { secret: { token: "x" } })),
    ).toEqual(["secret.token"]);
    const verdict = await service.verifyProxyRequest(admin, clientId, {
      headers: { authorization: `Bearer ${LONG}` },
    });
    expect(verdict).toMatchObject({ ok: true });
  });

  it("leaves target secrets alone (they are another service's) and can be lowered for a migration", async () => {
    const { service, clientId } = setup();
    await expect(
      service.create(admin, clientId, target("apiKey", { keyName: "X-Api-Key", keyValue: "ab" })),
    ).resolves.toBeDefined();
    const migrating = setup({ minProxySecretLength: 2 });
    await expect(
      migrating.service.create(
        admin,
        migrating.clientId,
        proxy("apiKey", { keyName: "X-Api-Key", keyValue: "ab" }),
      ),
    ).resolves.toBeDefined();
  });

  it.each([
    "X-Credkit-Token",
    "x-credkit-credential-id",
    "X-Credkit-Target-Query",
    "X-Credkit-Anything",
    "Authorization",
  ])("refuses keyName %s (a header credkit reserves: stripped or set by the listener)", async (keyName) => {
    const { service, clientId } = setup();
    expect(
      await refusedFields(service.create(admin, clientId, proxy("apiKey", { keyName, keyValue: LONG }))),
    ).toEqual(["secret.keyName"]);
  });
});

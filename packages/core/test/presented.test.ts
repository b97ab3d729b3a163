import { randomBytes, randomUUID } from "node:crypto";
import { memoryStore, proxy } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  type Actor,
  type AuthTypeOf,
  createCredentialService,
  createKeyring,
  type SecretInputOf,
} from "../src/index.js";
import {
  MAX_API_KEY_HEADERS,
  MAX_REMEMBERED_NAMES,
  presentedBasicUsername,
  presentedCredentials,
  readHeaders,
  rememberedNames,
  unverifiableProxySecret,
} from "../src/proxy/presented.js";

// Which headers a request's credentials are read from, through verifyProxyRequest: Bearer and Basic
// only from Authorization, API keys from any other header except the infrastructure ones, and the
// bounds on how many headers are looked up, each at and past its bound.
const admin: Actor = { userId: "alice", clientIds: "*", scopes: ["resolve"] };
const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
const TOKEN = "tok-0123456789abcdef0123456789abcdef";
const KEY = "key-0123456789abcdef0123456789abcdef";
const USER = "svc-user";
const PASSWORD = "pw:0123456789abcdef0123456789abcdef"; // a colon in the password: split at the first

async function setup() {
  const service = createCredentialService({
    regions: { "eu-west-1": memoryStore() },
    keyring,
    defaultRegion: "eu-west-1",
  });
  const clientId = `c-${randomUUID()}`;
  const create = <A extends AuthTypeOf<"proxy">>(authType: A, secret: SecretInputOf<A>) =>
    service.create(admin, clientId, proxy(authType, secret, { credentialName: authType }));
  await create("bearer", { token: TOKEN });
  await create("basicAuth", { username: USER, password: PASSWORD });
  await create("apiKey", { keyName: "X-Api-Key", keyValue: KEY });
  await create("apiKey", { keyName: "X-Zone", keyValue: KEY }); // a name that does not look like a key's
  const verify = async (headers: Record<string, string | string[]>) =>
    (await service.verifyProxyRequest(admin, clientId, { headers })).ok;
  return { verify, create };
}
const b64 = (text: string) => Buffer.from(text).toString("base64");
/** `count` distinct headers whose names look like key headers (they are looked up first). */
const likely = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-token-${i}`, `v-${i}`]));
/** `count` distinct headers whose names do not look like key headers. */
const others = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-other-${i}`, `v-${i}`]));

describe("the Authorization header", () => {
  it("carries Bearer and Basic credentials, in any letter case of the scheme", async () => {
    const { verify } = await setup();
    expect(await verify({ authorization: `Bearer ${TOKEN}` })).toBe(true);
    expect(await verify({ Authorization: `bearer   ${TOKEN}  ` })).toBe(true);
    expect(await verify({ authorization: `Basic ${b64(`${USER}:${PASSWORD}`)}` })).toBe(true);
    expect(await verify({ AUTHORIZATION: `BASIC ${b64(`${USER}:${PASSWORD}`)} ` })).toBe(true);
  });

  it("refuses a Bearer or Basic value with anything after the credential", async () => {
    const { verify } = await setup();
    expect(await verify({ authorization: `Bearer ${TOKEN} garbage` })).toBe(false);
    expect(await verify({ authorization: `Bearer${TOKEN}` })).toBe(false);
    expect(await verify({ authorization: `Basic ${b64(`${USER}:${PASSWORD}`)} garbage` })).toBe(false);
    expect(await verify({ authorization: `xBasic ${b64(`${USER}:${PASSWORD}`)}` })).toBe(false);
    expect(await verify({ authorization: `Basic ${b64(`${USER}${PASSWORD}`)}` })).toBe(false); // no colon
    expect(await verify({ authorization: `Basic ${b64(`${USER}:${PASSWORD}x`)}` })).toBe(false);
  });

  it("is the only header Bearer and Basic credentials are taken from", async () => {
    const { verify } = await setup();
    for (const name of ["x-authorization", "x-forwarded-authorization", "proxy-authorization", "x-auth"]) {
      expect(await verify({ [name]: `Bearer ${TOKEN}` }), name).toBe(false);
      expect(await verify({ [name]: `Basic ${b64(`${USER}:${PASSWORD}`)}` }), name).toBe(false);
    }
    // Another header after Authorization does not replace it.
    expect(await verify({ authorization: `Bearer ${TOKEN}`, "x-other": "value" })).toBe(true);
  });

  it("is ignored when sent more than once, or empty", async () => {
    const { verify } = await setup();
    expect(await verify({ authorization: [`Bearer ${TOKEN}`] })).toBe(true);
    expect(await verify({ authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`] })).toBe(false);
    expect(await verify({ authorization: [] })).toBe(false);
    expect(await verify({ authorization: "" })).toBe(false);
  });

  it("is ignored when a /verify body holds it under two letter cases (which one a backend reads is anyone's guess)", async () => {
    const { verify } = await setup();
    // Each order: the one credkit would have checked is valid, the other is what a backend may read.
    expect(await verify({ authorization: `Bearer ${TOKEN}`, Authorization: "Bearer forged" })).toBe(false);
    expect(await verify({ Authorization: "Bearer forged", authorization: `Bearer ${TOKEN}` })).toBe(false);
    const basic = `Basic ${b64(`${USER}:${PASSWORD}`)}`;
    expect(await verify({ AUTHORIZATION: basic, authorization: `Basic ${b64("root:x")}` })).toBe(false);
    // Another scheme is an API key candidate: ambiguous too, so not looked up either.
    expect(readHeaders({ authorization: "Token a", Authorization: "Token b" })).toEqual({
      authorization: null,
      bearer: null,
      apiKeys: [],
    });
    // An empty one under another case is no second value: the other is read.
    expect(await verify({ authorization: `Bearer ${TOKEN}`, AUTHORIZATION: "" })).toBe(true);
  });
});

describe("edge cases of the header reading", () => {
  it("reads a header that only contains an infrastructure prefix as a key header", async () => {
    const { verify, create } = await setup();
    await create("apiKey", { keyName: "X-Mysec-Cf-Zone", keyValue: `${KEY}-2` });
    expect(await verify({ "x-mysec-cf-zone": `${KEY}-2` })).toBe(true);
  });

  it("never joins a repeated header's values into one", async () => {
    const { verify, create } = await setup();
    await create("apiKey", { keyName: "X-Joined", keyValue: "part-one-0123456789,part-two-0123456789" });
    expect(await verify({ "x-joined": "part-one-0123456789,part-two-0123456789" })).toBe(true);
    expect(await verify({ "x-joined": ["part-one-0123456789", "part-two-0123456789"] })).toBe(false);
  });

  it("skips absent and empty values, which do not count against the bound", async () => {
    const { verify } = await setup();
    const fill = others(MAX_API_KEY_HEADERS - 1);
    expect(await verify({ ...fill, "x-absent": undefined as unknown as string, "x-zone": KEY })).toBe(true);
    expect(await verify({ ...fill, "x-empty": "", "x-zone": KEY })).toBe(true);
    expect(await verify({ ...fill, "x-empty": [], "x-zone": KEY })).toBe(true);
  });

  it("takes Bearer only as the scheme, and Basic after any run of spaces", async () => {
    const { verify } = await setup();
    expect(await verify({ authorization: `Token Bearer ${TOKEN}` })).toBe(false);
    expect(await verify({ authorization: `Basic  ${b64(`${USER}:${PASSWORD}`)}` })).toBe(true);
  });

  it("names secret.keyName when refusing a key header the verifier never reads", async () => {
    const { create } = await setup();
    await expect(create("apiKey", { keyName: "Cookie", keyValue: KEY })).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
      errors: [expect.objectContaining({ path: "secret.keyName" })],
    });
  });

  it("refuses __proto__ as a keyName: Node drops that header and a /verify body may not hold it", async () => {
    const { create, verify } = await setup();
    for (const keyName of ["__proto__", "__PROTO__"])
      await expect(create("apiKey", { keyName, keyValue: KEY }), keyName).rejects.toMatchObject({
        code: "VALIDATION_ERROR",
        errors: [expect.objectContaining({ path: "secret.keyName" })],
      });
    // Other names of Object.prototype are ordinary headers, presented and read like any other.
    await create("apiKey", { keyName: "constructor", keyValue: `${KEY}-c` });
    expect(await verify({ constructor: `${KEY}-c` })).toBe(true);
  });
});

describe("API-key headers", () => {
  it("are read in any letter case and only when sent once", async () => {
    const { verify } = await setup();
    expect(await verify({ "x-api-key": KEY })).toBe(true);
    expect(await verify({ "X-Zone": KEY })).toBe(true);
    expect(await verify({ "x-api-key": [KEY] })).toBe(true);
    expect(await verify({ "x-api-key": [KEY, KEY] })).toBe(false);
  });

  it("are never taken from infrastructure headers, which do not count against the bound", async () => {
    const { verify } = await setup();
    const infrastructure = [
      "accept", "accept-charset", "accept-encoding", "accept-language", "baggage", "cache-control",
      "connection", "content-encoding", "content-length", "content-type", "cookie", "date", "dnt", "expect",
      "forwarded", "host", "if-match", "if-modified-since", "if-none-match", "if-range",
      "if-unmodified-since", "keep-alive", "origin", "pragma", "priority", "range", "referer", "te",
      "traceparent", "tracestate", "transfer-encoding", "upgrade", "upgrade-insecure-requests",
      "user-agent", "via", "x-forwarded-for", "x-forwarded-host", "x-forwarded-port", "x-forwarded-proto",
      "x-real-ip", "x-request-id", "x-credkit-a", "sec-a", "x-forwarded-a", "x-amzn-a", "x-amz-cf-a",
      "cf-a", "x-envoy-a", "x-b3-a", "x-datadog-a", "x-cloud-trace-a",
    ]; // biome-ignore format: a dense list reads better
    // Each fills the one slot left before the key header: were it read, the key would be past the bound.
    for (const name of infrastructure) {
      const headers = { ...others(MAX_API_KEY_HEADERS - 1), [name]: "v", "x-zone": KEY };
      expect(await verify(headers), name).toBe(true);
    }
    const headers = { ...others(MAX_API_KEY_HEADERS - 1), "x-not-infra": "v", "x-zone": KEY };
    expect(await verify(headers)).toBe(false);
    // The same names are refused as a credential's keyName: such a key could never be presented.
    const { create } = await setup();
    for (const name of ["Authorization", ...infrastructure])
      await expect(create("apiKey", { keyName: name, keyValue: KEY }), name).rejects.toThrow(/never reads/);
    await expect(create("apiKey", { keyName: "X-Infra", keyValue: KEY })).resolves.toBeDefined();
  });

  it(`looks up at most ${MAX_API_KEY_HEADERS} headers, likely key names first`, async () => {
    const { verify } = await setup();
    expect(MAX_API_KEY_HEADERS).toBe(32);
    expect(await verify({ ...others(MAX_API_KEY_HEADERS - 1), "x-zone": KEY })).toBe(true);
    expect(await verify({ ...others(MAX_API_KEY_HEADERS), "x-zone": KEY })).toBe(false);
    // A likely name is looked up before every other header, however many come first.
    expect(await verify({ ...others(MAX_API_KEY_HEADERS * 2), "x-api-key": KEY })).toBe(true);
    expect(await verify({ ...likely(MAX_API_KEY_HEADERS - 1), "x-api-key": KEY })).toBe(true);
    expect(await verify({ ...likely(MAX_API_KEY_HEADERS), "x-api-key": KEY })).toBe(false);
    // Likely names fill the bound before the others.
    expect(await verify({ "x-zone": KEY, ...likely(MAX_API_KEY_HEADERS - 1) })).toBe(true);
    expect(await verify({ "x-zone": KEY, ...likely(MAX_API_KEY_HEADERS) })).toBe(false);
  });

  it("do not count a Bearer or Basic Authorization header against the bound", async () => {
    const { verify } = await setup();
    const headers = { authorization: "Bearer other-token", ...likely(MAX_API_KEY_HEADERS - 1) };
    expect(await verify({ ...headers, "x-api-key": KEY })).toBe(true);
    const basic = { authorization: `Basic ${b64("a:b")}`, ...likely(MAX_API_KEY_HEADERS - 1) };
    expect(await verify({ ...basic, "x-api-key": KEY })).toBe(true);
  });

  it("ignore names and values past their length bounds, which do not count against the bound", async () => {
    const { verify, create } = await setup();
    const name256 = `x-${"n".repeat(254)}`;
    const value8192 = `v${"k".repeat(8190)}v`;
    await create("apiKey", { keyName: name256, keyValue: value8192 });
    expect(await verify({ [name256]: value8192 })).toBe(true);
    const fill = others(MAX_API_KEY_HEADERS - 1);
    expect(await verify({ ...fill, [`${name256}n`]: "v", "x-zone": KEY })).toBe(true);
    expect(await verify({ ...fill, [name256]: "v", "x-zone": KEY })).toBe(false);
    expect(await verify({ ...fill, "x-long": `${value8192}v`, "x-zone": KEY })).toBe(true);
    expect(await verify({ ...fill, "x-long": value8192, "x-zone": KEY })).toBe(false);
  });
});

// The identity a data plane counts failed Basic attempts by: the username exactly where the verifier
// would read one, and nothing where it would not.
describe("presentedBasicUsername", () => {
  it("is the username of a well-formed Basic header in any case, and null otherwise", () => {
    expect(presentedBasicUsername({ authorization: `Basic ${b64(`${USER}:${PASSWORD}`)}` })).toBe(USER);
    expect(presentedBasicUsername({ Authorization: `basic ${b64("u:")}` })).toBe("u");
    expect(presentedBasicUsername({ authorization: `Basic ${b64(":pw")}` })).toBe("");
    expect(presentedBasicUsername({ authorization: `Basic ${b64("no-colon")}` })).toBeNull();
    expect(presentedBasicUsername({ authorization: `Basic ${b64("u:p")} garbage` })).toBeNull();
    expect(presentedBasicUsername({ authorization: `Bearer ${TOKEN}` })).toBeNull();
    expect(presentedBasicUsername({ "x-authorization": `Basic ${b64("u:p")}` })).toBeNull();
    expect(presentedBasicUsername({})).toBeNull();
    // A header sent twice is ambiguous: the verifier ignores it, so it names no one.
    expect(
      presentedBasicUsername({ authorization: [`Basic ${b64("a:p")}`, `Basic ${b64("b:p")}`] }),
    ).toBeNull();
    // Only the Authorization header: not another header of the same length (13 characters).
    expect(presentedBasicUsername({ "x-api-key-abc": `Basic ${b64("eve:p")}` })).toBeNull();
    // An empty duplicate under another letter case does not hide the one the verifier reads.
    expect(presentedBasicUsername({ authorization: `Basic ${b64("u:p")}`, AUTHORIZATION: "" })).toBe("u");
    // Two values under two letter cases are ambiguous too: the verifier reads neither.
    expect(
      presentedBasicUsername({ authorization: `Basic ${b64("a:p")}`, Authorization: `Basic ${b64("b:p")}` }),
    ).toBeNull();
  });
});

// The two steps verifyProxyRequest goes through, directly: what they keep is exactly what is looked up.
describe("readHeaders and presentedCredentials", () => {
  it("keep an Authorization header of another scheme as a key candidate, and Bearer or Basic out of them", () => {
    expect(readHeaders({ authorization: "Token basic abc" }).apiKeys).toEqual([
      ["authorization", "Token basic abc"],
    ]);
    expect(readHeaders({ authorization: `Bearer ${TOKEN}` }).apiKeys).toEqual([]);
    expect(readHeaders({ authorization: `Basic ${b64("u:p")}` }).apiKeys).toEqual([]);
  });

  it("present only what the request carries: no bearer or basic candidate without them", () => {
    expect(presentedCredentials(readHeaders({ "x-api-key": KEY })).map((p) => p.kind)).toEqual(["apiKey"]);
    expect(presentedCredentials(readHeaders({})).map((p) => p.kind)).toEqual([]);
    expect(
      presentedCredentials(readHeaders({ authorization: `Bearer ${TOKEN}` })).map((p) => p.kind),
    ).toEqual(["bearer"]);
  });

  it("read every name alike once the names they remember are at their bound, which holds", () => {
    for (let i = 0; i <= MAX_REMEMBERED_NAMES; i++) readHeaders({ [`X-Made-Up-${i}`]: "v" });
    expect(rememberedNames()).toBe(MAX_REMEMBERED_NAMES);
    const late = {
      "X-Late-Key": "a",
      "User-Agent": "b",
      "X-Forwarded-For": "c",
      Authorization: "Token z",
      "X-Other": "d",
    };
    expect(readHeaders(late).apiKeys).toEqual([
      ["x-late-key", "a"],
      ["authorization", "Token z"],
      ["x-other", "d"],
    ]);
    expect(readHeaders({ AUTHORIZATION: `Bearer ${TOKEN}` }).bearer).toBe(TOKEN);
    expect(rememberedNames()).toBe(MAX_REMEMBERED_NAMES);
  });

  it("judge only apiKey secrets' header names unverifiable", () => {
    expect(unverifiableProxySecret("apiKey", { keyName: "Authorization" })?.path).toBe("secret.keyName");
    expect(unverifiableProxySecret("bearer", { keyName: "Authorization" })).toBeNull();
    expect(unverifiableProxySecret("apiKey", { keyName: "X-Api-Key" })).toBeNull();
  });
});

import { gzipSync } from "node:zlib";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { testApp, tokens } from "./app.js";

// The handler's one walk over a body (core's checkJsonBounds inside each operation's parse), tried
// with hostile bodies on Express and on bare node:http alike: each refusal is a 4xx naming the field
// and leaves nothing stored; each bound holds exactly at its limit and refuses one past it.
const nested = (depth: number) => `${'{"a":'.repeat(depth)}"leaf"${"}".repeat(depth)}`;
/** A customToken create whose secret.body is `body`: levels 1 (root) and 2 (secret) come before it. */
const customToken = (body: string) =>
  `{"credentialName":"c","credentialType":"target","authType":"customToken","region":"eu-west-1",` +
  `"secret":{"tokenUrl":"https://auth.example.com/token","body":${body}}}`;
/** 9 values before the list (root, its 5 fields, secret's 2, body's 1): `n` more in the list. */
const values = (n: number) => customToken(`{"list":[${Array(n).fill(0).join(",")}]}`);
const none = (extra: string) => `{"credentialName":"n","credentialType":"target","authType":"none"${extra}}`;
const apiKey = (keyName: string) =>
  `{"credentialName":"k","credentialType":"proxy","authType":"apiKey","secret":{"keyName":"${keyName}","keyValue":"0123456789abcdef0123456789abcdef"}}`;

type Case = [
  name: string,
  body: string | Buffer,
  status: number,
  path: string,
  headers?: Record<string, string>,
];
const refused: Case[] = [
  ["nesting one level past 32", customToken(nested(31)), 400, "secret.body.a.a..."],
  ["10,001 values", values(9992), 400, "body"],
  ["__proto__ at the root", none(`,"__proto__":{"x":1}`), 400, "__proto__"],
  ["__proto__ in the secret", customToken(`{"__proto__":{"x":1}}`), 400, "secret.body.__proto__"],
  ["__proto__ in an array", customToken(`{"a":{"b":[{"__proto__":1}]}}`), 400, "secret.body.a.b.0.__proto__"],
  ["constructor at the root", none(`,"constructor":{"prototype":{}}`), 400, "body"],
  ["prototype at the root", none(`,"prototype":{}`), 400, "body"],
  ["__proto__ as an apiKey keyName", apiKey("__proto__"), 400, "secret.keyName"],
  ["a string", `"text"`, 400, "body"],
  ["a number", "42", 400, "body"],
  ["null", "null", 400, "body"],
  ["an array", "[]", 400, "body"],
  ["an empty body", "", 400, "body"],
  ["a 90 KB name", none(`,"credentialName":"${"x".repeat(90_000)}"`), 400, "credentialName"],
  ["a lone surrogate", `{"credentialName":"a\\ud800","credentialType":"target","authType":"none"}`, 400, "credentialName"],
  ["invalid UTF-8", Buffer.concat([Buffer.from('{"credentialName":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","credentialType":"target","authType":"none"}')]), 400, "body"],
  ["invalid UTF-8 gzipped", gzipSync(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), 400, "body", { "Content-Encoding": "gzip" }],
  ["a broken gzip stream", Buffer.from("not gzip at all"), 400, "body", { "Content-Encoding": "gzip" }],
]; // biome-ignore format: one case a line

describe.each(["express", "node:http"] as const)("hostile create bodies on %s", (host) => {
  const post = (
    app: ReturnType<typeof testApp>["app"],
    body: string | Buffer,
    headers: Record<string, string> = {},
  ) =>
    request(app)
      .post("/api/clients/acme/credentials")
      .set("Authorization", tokens.admin)
      .set("Content-Type", "application/json")
      .set(headers)
      // As sent: supertest would write a Buffer as JSON ({"type":"Buffer",...}) under a JSON type.
      .serialize((raw: unknown) => raw as string)
      .send(body);

  it.each(refused)(
    "refuses %s, naming the field, storing nothing",
    async (_name, body, status, path, headers) => {
      const { app } = testApp({}, host);
      const res = await post(app, body, headers);
      expect([res.status, res.body.code, res.body.errors?.[0]?.path]).toEqual([
        status,
        "VALIDATION_ERROR",
        path,
      ]);
      const list = await request(app)
        .get("/api/clients/acme/credentials?includeTemporary=true")
        .set("Authorization", tokens.admin);
      expect(list.body.credentials).toEqual([]);
    },
  );

  it("accepts each bound exactly at its limit: 32 levels, 10,000 values", async () => {
    const { app } = testApp({}, host);
    expect((await post(app, customToken(nested(30)))).status).toBe(201);
    expect((await post(app, values(9991))).status).toBe(201);
    // Names of Object.prototype other than __proto__ are ordinary keys inside a map.
    expect((await post(app, customToken(`{"constructor":{"prototype":{"x":1}}}`))).status).toBe(201);
  });

  it("answers 415 for a body that is not UTF-8 JSON", async () => {
    const { app } = testApp({}, host);
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/json; charset=latin1",
    ]) {
      const res = await post(app, none(""), { "Content-Type": type });
      expect([type, res.status, res.body.code]).toEqual([type, 415, "UNSUPPORTED_MEDIA_TYPE"]);
    }
  });

  it("refuses __proto__ in a /verify body and an update's secret", async () => {
    const { app } = testApp({}, host);
    const verify = await request(app)
      .post("/api/clients/acme/verify")
      .set("Authorization", tokens.admin)
      .set("Content-Type", "application/json")
      .send(`{"headers":{"__proto__":"x"}}`);
    expect([verify.status, verify.body.errors?.[0]?.path]).toEqual([400, "headers.__proto__"]);
    const created = await post(app, customToken(`{"grant":"x"}`)).expect(201);
    const id = created.body.credentials[0].credentialId;
    const put = await request(app)
      .put(`/api/clients/acme/credentials/${id}`)
      .set("Authorization", tokens.admin)
      .set("Content-Type", "application/json")
      .send(`{"secret":{"tokenUrl":"https://auth.example.com/token","body":{"__proto__":{"grant":"y"}}}}`);
    expect([put.status, put.body.errors?.[0]?.path]).toEqual([400, "secret.body.__proto__"]);
    const after = await request(app)
      .get(`/api/clients/acme/credentials/${id}`)
      .set("Authorization", tokens.admin);
    expect(after.body.credentials[0].credentialVersion).toBe(1);
  });
});

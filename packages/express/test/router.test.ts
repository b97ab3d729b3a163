import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { type CredentialStore, storageUnavailable } from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import request from "supertest";
import { describe, expect, it, vi } from "vitest";
import { syncHosts, testApp, tokens } from "./app.js";

const SECRET = `SECRET-${randomUUID()}`;
const apiKey = {
  credentialName: "partner",
  credentialType: "proxy",
  authType: "apiKey",
  region: "eu-west-1",
  secret: { keyName: "X-Api-Key", keyValue: SECRET },
};
const auth = { Authorization: tokens.admin };

describe.each(syncHosts)("credential routes on %s", (host) => {
  it("serves the five endpoints with the documented shapes", async () => {
    const { app } = testApp({}, host);
    const created = await request(app)
      .post("/api/clients/acme/credentials")
      .set(auth)
      .send(apiKey)
      .expect(201);
    expect(created.body.message).toBe("Success");
    expect(created.body.credentials).toHaveLength(1);
    const credential = created.body.credentials[0];
    expect(Object.keys(credential)).toEqual(
      expect.arrayContaining([
        "pKey",
        "sKey",
        "credentialType",
        "credentialAuthType",
        "credentialName",
        "credentialRegion",
        "credentialDefaultRuleEffect",
        "credentialCreatedAt",
        "credentialUpdatedAt",
        "userId",
        "clientId",
        "parentId",
      ]),
    );
    expect(created.headers.etag).toBe('"1"');
    const id = credential.credentialId as string;

    const listed = await request(app)
      .get("/api/clients/acme/credentials?includeTemporary=false")
      .set(auth)
      .expect(200);
    expect(listed.body).toEqual({ credentials: [credential], message: "Success" });

    const one = await request(app).get(`/api/clients/acme/credentials/${id}`).set(auth).expect(200);
    expect(one.body).toEqual({ credentials: [credential], message: "Success" });

    const updated = await request(app)
      .put(`/api/clients/acme/credentials/${id}`)
      .set(auth)
      .send({ credentialName: "renamed" })
      .expect(200);
    expect(updated.body.credentials[0]).toMatchObject({ credentialName: "renamed", credentialVersion: 2 });

    expect(
      (await request(app).delete(`/api/clients/acme/credentials/${id}`).set(auth).expect(200)).body,
    ).toEqual({
      message: "Success",
    });
    await request(app).get(`/api/clients/acme/credentials/${id}`).set(auth).expect(404);
  });

  it("accepts the token raw or as Bearer, and answers 401/403 otherwise", async () => {
    const { app } = testApp({}, host);
    await request(app).get("/api/clients/acme/credentials").set("Authorization", tokens.acme).expect(200);
    await request(app)
      .get("/api/clients/acme/credentials")
      .set("Authorization", `Bearer ${tokens.acme}`)
      .expect(200);
    await request(app)
      .get("/api/clients/acme/credentials")
      .set("Authorization", `bearer ${tokens.acme}`)
      .expect(200);
    const missing = await request(app).get("/api/clients/acme/credentials").expect(401);
    expect(missing.body.code).toBe("UNAUTHORIZED");
    await request(app).get("/api/clients/acme/credentials").set("Authorization", "wrong-token").expect(401);
    const forbidden = await request(app)
      .get("/api/clients/other/credentials")
      .set("Authorization", tokens.acme)
      .expect(403);
    expect(forbidden.body).toMatchObject({ code: "FORBIDDEN" });
    // An anonymous caller learns nothing from the body: 401 comes before JSON parsing.
    await request(app)
      .post("/api/clients/acme/credentials")
      .set("Content-Type", "application/json")
      .send("{bad")
      .expect(401);
  });

  it.each([
    ["true", true],
    ["True", true],
    ["FALSE", false],
    ["False", false],
  ])("parses includeTemporary=%s", async (value, expected) => {
    const list = vi.fn(async () => ({ credentials: [], nextCursor: null }));
    const { app, service } = testApp({}, host);
    service.list = list;
    await request(app).get(`/api/clients/acme/credentials?includeTemporary=${value}`).set(auth).expect(200);
    expect(list).toHaveBeenCalledWith(
      expect.anything(),
      "acme",
      expect.objectContaining({ includeTemporary: expected }),
    );
  });

  it("rejects a bad includeTemporary, limit or cursor naming the parameter", async () => {
    const { app } = testApp({}, host);
    for (const [query, path] of [
      ["includeTemporary=yes", "includeTemporary"],
      ["limit=0", "limit"],
      ["limit=abc", "limit"],
      ["cursor=zzz", "cursor"],
    ]) {
      const res = await request(app).get(`/api/clients/acme/credentials?${query}`).set(auth).expect(400);
      expect(res.body.errors[0].path).toBe(path);
    }
  });

  it("pages with limit and nextCursor", async () => {
    const { app } = testApp({}, host);
    for (let i = 0; i < 3; i++) {
      await request(app)
        .post("/api/clients/acme/credentials")
        .set(auth)
        .send({ ...apiKey, secret: { keyName: "X-Api-Key", keyValue: `key-long-enough-${i}` } })
        .expect(201);
    }
    const first = await request(app).get("/api/clients/acme/credentials?limit=2").set(auth).expect(200);
    expect(first.body.credentials).toHaveLength(2);
    const second = await request(app)
      .get(`/api/clients/acme/credentials?limit=2&cursor=${first.body.nextCursor}`)
      .set(auth)
      .expect(200);
    expect(second.body.credentials).toHaveLength(1);
    expect(second.body.nextCursor).toBeUndefined();
  });

  it("makes If-Match a compare-and-set", async () => {
    const { app } = testApp({}, host);
    const created = await request(app)
      .post("/api/clients/acme/credentials")
      .set(auth)
      .send(apiKey)
      .expect(201);
    const url = `/api/clients/acme/credentials/${created.body.credentials[0].credentialId}`;
    await request(app).put(url).set(auth).set("If-Match", '"1"').send({ credentialName: "a" }).expect(200);
    const stale = await request(app)
      .put(url)
      .set(auth)
      .set("If-Match", "1")
      .send({ credentialName: "b" })
      .expect(412);
    expect(stale.body.code).toBe("VERSION_CONFLICT");
    await request(app).put(url).set(auth).set("If-Match", "soon").send({ credentialName: "b" }).expect(400);
    const ok = await request(app)
      .put(url)
      .set(auth)
      .set("If-Match", 'W/"2"')
      .send({ credentialName: "b" })
      .expect(200);
    expect(ok.headers.etag).toBe('"3"');
    const immutable = await request(app).put(url).set(auth).send({ credentialType: "target" }).expect(400);
    expect(immutable.body.errors).toEqual([
      { path: "credentialType", message: expect.stringContaining("cannot be changed") },
    ]);
  });

  it("answers 409 for a duplicate proxy secret, 404 for unknown ids and routes", async () => {
    const { app } = testApp({}, host);
    await request(app).post("/api/clients/acme/credentials").set(auth).send(apiKey).expect(201);
    const dup = await request(app).post("/api/clients/acme/credentials").set(auth).send(apiKey).expect(409);
    expect(dup.body.code).toBe("CONFLICT");
    await request(app)
      .get("/api/clients/acme/credentials/eu-west-1.AAAAAAAAAAAAAAAAAAAAAA")
      .set(auth)
      .expect(404);
    await request(app).delete("/api/clients/acme/credentials/nonsense").set(auth).expect(404);
    // The JSON 404 for unknown paths is opt-in (an embedded router passes them on: embedding.test.ts).
    const route = await request(testApp({ notFound: true }, host).app)
      .get("/api/nope")
      .set(auth)
      .expect(404);
    expect(route.body.code).toBe("NOT_FOUND");
  });

  it("answers 400 naming fields, 413 over the limit, 415 for non-JSON, without echoing the body", async () => {
    const { app } = testApp({ bodyLimit: "1kb" }, host);
    const bad = await request(app)
      .post("/api/clients/acme/credentials")
      .set(auth)
      .send({ ...apiKey, authType: "oauth2" })
      .expect(400);
    expect(bad.body.errors[0].path).toBe("authType");
    const big = await request(app)
      .post("/api/clients/acme/credentials")
      .set(auth)
      .send({ ...apiKey, credentialName: "x".repeat(2000) })
      .expect(413);
    expect(big.body.code).toBe("PAYLOAD_TOO_LARGE");
    const form = await request(app)
      .post("/api/clients/acme/credentials")
      .set(auth)
      .type("form")
      .send({ secret: SECRET })
      .expect(415);
    expect(form.body.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    const text = await request(app)
      .post("/api/clients/acme/credentials")
      .set(auth)
      .type("text/plain")
      .send("{}");
    expect(text.status).toBe(415);
    const broken = await request(app)
      .post("/api/clients/acme/credentials")
      .set(auth)
      .set("Content-Type", "application/json")
      .send(`{"secret": ${SECRET}`)
      .expect(400);
    expect(JSON.stringify(broken.body)).not.toContain(SECRET);
  });

  it("reads a JSON body that comes without any Content-Type", async () => {
    const { app } = testApp({}, host);
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const body = JSON.stringify({
      ...apiKey,
      secret: { keyName: "X-Api-Key", keyValue: "untyped-long-enough" },
    });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            port,
            host: "127.0.0.1",
            method: "POST",
            path: "/api/clients/acme/credentials",
            headers: { ...auth, "Content-Length": Buffer.byteLength(body) },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        expect(req.getHeader("content-type")).toBeUndefined();
        req.end(body);
      });
      expect(status).toBe(201);
    } finally {
      server.close();
    }
  });

  it("maps an outage to 503 with Retry-After and an unexpected error to a bare 500", async () => {
    const failing: CredentialStore = {
      ...memoryStore(),
      list: async () => {
        throw storageUnavailable("redis", new Error("ECONNREFUSED 127.0.0.1:6379"));
      },
      get: async () => {
        throw new Error(`boom with ${SECRET}`);
      },
    };
    const onError = vi.fn();
    const { app } = testApp({ store: failing, onError }, host);
    const outage = await request(app).get("/api/clients/acme/credentials").set(auth).expect(503);
    expect(outage.headers["retry-after"]).toBe("1");
    expect(outage.body).toEqual({ message: "The redis store is unavailable", code: "STORAGE_UNAVAILABLE" });
    const crash = await request(app)
      .get("/api/clients/acme/credentials/eu-west-1.AAAAAAAAAAAAAAAAAAAAAA")
      .set(auth)
      .expect(500);
    expect(crash.body).toEqual({ message: "Internal error", code: "INTERNAL" });
    expect(crash.text).not.toContain(SECRET);
    expect(crash.text).not.toContain("at ");
    expect(onError.mock.calls.map(([, status]) => status)).toEqual([503, 500]);
  });

  it("never sends a secret in any response of a full walk", async () => {
    const { app } = testApp({}, host);
    const texts: string[] = [];
    const keep = (res: request.Response) => {
      texts.push(res.text, JSON.stringify(res.headers));
      return res;
    };
    const created = keep(await request(app).post("/api/clients/acme/credentials").set(auth).send(apiKey));
    const id = created.body.credentials[0].credentialId;
    keep(await request(app).get("/api/clients/acme/credentials").set(auth));
    keep(await request(app).get(`/api/clients/acme/credentials/${id}`).set(auth));
    keep(
      await request(app)
        .put(`/api/clients/acme/credentials/${id}`)
        .set(auth)
        .send({ secret: { keyName: "X-Api-Key", keyValue: `${SECRET}-2` } }),
    );
    keep(await request(app).post("/api/clients/acme/credentials").set(auth).send(apiKey));
    keep(await request(app).delete(`/api/clients/acme/credentials/${id}`).set(auth));
    expect(texts.join("\n")).not.toContain(SECRET);
    expect(texts.join("\n")).not.toContain("ck1.");
  });

  it("marks responses no-store, refusals and failures included, but not the OpenAPI document", async () => {
    const failing: CredentialStore = {
      ...memoryStore(),
      get: async () => {
        throw storageUnavailable("redis", new Error("ECONNREFUSED 127.0.0.1:6379"));
      },
    };
    const { app } = testApp({ store: failing }, host);
    const res = await request(app).get("/api/clients/acme/credentials").set(auth).expect(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    const item = "/api/clients/acme/credentials/eu-west-1.AAAAAAAAAAAAAAAAAAAAAA";
    const anonymous = await request(app).get(item).expect(401);
    const malformed = await request(app).get("/api/clients/acme/credentials/nonsense").set(auth).expect(404);
    const outage = await request(app).get(item).set(auth).expect(503);
    expect(outage.headers["retry-after"]).toBe("1");
    for (const refused of [anonymous, malformed, outage]) {
      expect(refused.headers["cache-control"]).toBe("no-store");
      expect(refused.headers["content-type"]).toBe("application/json; charset=utf-8");
    }
    const document = await request(app).get("/api/openapi.json").expect(200);
    expect(document.headers["cache-control"]).toBeUndefined();
  });
});

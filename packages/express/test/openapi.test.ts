import { openApiDocumentProblems, responseContract } from "@credkit/api-contract";
import express from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { firstSentence } from "../src/docs-page.js";
import { operationExamples } from "../src/examples.js";
import { buildOpenApiDocument, createCredkitRouter } from "../src/index.js";
import { operations } from "../src/operations.js";
import { testApp, tokens } from "./app.js";

type Responses = Record<string, { content?: Record<string, { example?: unknown }> }>;
type Doc = {
  paths: Record<string, Record<string, { responses: Responses; parameters: { name: string }[] }>>;
};

describe("OpenAPI document and docs page", () => {
  it("documents the credential endpoints and verify from the zod schemas", async () => {
    const { app } = testApp();
    const { body } = await request(app).get("/api/openapi.json").expect(200);
    expect(body.openapi).toBe("3.1.0");
    const operations = Object.entries(
      body.paths as Record<string, Record<string, { operationId: string }>>,
    ).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(operations.sort()).toEqual([
      "DELETE /api/clients/{clientId}/credentials/{credentialId} deleteCredential",
      "DELETE /api/clients/{clientId}/webhooks/{webhookId} deleteWebhook",
      "GET /api/clients/{clientId}/credentials listCredentials",
      "GET /api/clients/{clientId}/credentials/{credentialId} getCredential",
      "GET /api/clients/{clientId}/webhooks listWebhooks",
      "GET /api/clients/{clientId}/webhooks/{webhookId}/failed-deliveries listFailedDeliveries",
      "GET /api/oauth2/callback completeAuthorization",
      "POST /api/clients/{clientId}/credentials createCredential",
      "POST /api/clients/{clientId}/credentials/{credentialId}/invalidate invalidateTargetToken",
      "POST /api/clients/{clientId}/credentials/{credentialId}/resolve resolveTargetAuth",
      "POST /api/clients/{clientId}/verify verifyProxyRequest",
      "POST /api/clients/{clientId}/webhooks createWebhook",
      "PUT /api/clients/{clientId}/credentials/{credentialId} updateCredential",
    ]);
    const create = body.paths["/api/clients/{clientId}/credentials"].post;
    const schema = create.requestBody.content["application/json"].schema;
    expect(schema.required).toEqual(expect.arrayContaining(["credentialName", "credentialType", "authType"]));
    expect(schema.properties.authType.enum).toContain("jwtVerify");
    expect(JSON.stringify(schema.properties.secret)).toContain("keyValue");
    expect(create.responses["201"]).toBeDefined();
    expect(
      create.responses["201"].content["application/json"].schema.properties.authorizationUrl,
    ).toBeDefined();

    // The callback is the one operation without a token; resolve documents its answer.
    const callback = body.paths["/api/oauth2/callback"].get;
    expect(callback.security).toEqual([]);
    expect(callback.responses["200"].content["text/html"]).toBeDefined();
    const resolve = body.paths["/api/clients/{clientId}/credentials/{credentialId}/resolve"].post;
    expect(resolve.security).toEqual([{ token: [] }]);
    expect(resolve.summary).toMatch(/resolve" scope/);
    expect(Object.keys(resolve.responses["200"].content["application/json"].schema.properties)).toEqual([
      "headers",
      "query",
    ]);
  });

  it("is a valid OpenAPI 3.1 document for a maintained validator", async () => {
    const { app } = testApp();
    const { body } = await request(app).get("/api/openapi.json").expect(200);
    expect(await openApiDocumentProblems(body)).toEqual([]);
    // The checker itself is not vacuous: a broken document is reported.
    expect(await openApiDocumentProblems({ ...body, paths: { "no-slash": {} } })).not.toEqual([]);
  });

  it("serves a self-contained docs page listing every endpoint", async () => {
    const { app } = testApp();
    const res = await request(app).get("/api/docs").expect(200);
    expect(res.headers["content-type"]).toMatch(/text\/html/);
    expect(res.headers["content-security-policy"]).toContain("default-src 'none'");
    for (const method of ["GET", "POST", "PUT", "DELETE"]) expect(res.text).toContain(`>${method}</span>`);
    expect(res.text).toContain("/api/clients/{clientId}/credentials/{credentialId}");
    // No script and no outside resource; example.com (reserved for examples, RFC 2606) is an example webhook URL.
    expect(res.text).not.toMatch(/<script|https?:\/\/(?!json-schema|hooks\.example\.com\/)/);
  });

  it("lists each operation's own error statuses, not every status on every route", () => {
    const doc = buildOpenApiDocument({ basePath: "/api" }) as unknown as Doc;
    const errorsOf = (path: string, method: string) =>
      Object.keys(doc.paths[`/api${path}`]?.[method]?.responses ?? {}).filter((s) => !s.startsWith("2"));
    const collection = "/clients/{clientId}/credentials";
    const item = `${collection}/{credentialId}`;
    // A GET list has no body and writes nothing.
    expect(errorsOf(collection, "get")).toEqual(["400", "401", "403", "404", "429", "500", "503"]);
    expect(errorsOf(collection, "post")).toEqual([
      "400",
      "401",
      "403",
      "404",
      "409",
      "413",
      "415",
      "429",
      "500",
      "503",
    ]);
    expect(errorsOf(item, "get")).toEqual(["400", "401", "403", "404", "429", "500", "503"]);
    expect(errorsOf(item, "put")).toContain("412");
    expect(errorsOf(item, "delete")).not.toContain("412");
    expect(errorsOf(`${item}/resolve`, "post")).toEqual(expect.arrayContaining(["404", "409", "502"]));
    expect(errorsOf(`${item}/resolve`, "post")).not.toContain("415");
    // The callback takes no token: it cannot answer 401 or 403.
    expect(errorsOf("/oauth2/callback", "get")).toEqual(["400", "404", "429", "500", "502", "503"]);
  });

  it("has an example per operation that the schemas and the contract accept, with no real secret", async () => {
    const doc = buildOpenApiDocument({ basePath: "/api" }) as unknown as Doc;
    const contract = responseContract(doc);
    const secretValue = "replace-with-the-partner-key";
    for (const op of operations) {
      const example = operationExamples[op.operationId];
      const path = `/api${op.path}`;
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => example.parameters[name] ?? "");
      // Every required parameter has a value, and no example names a parameter the operation lacks.
      for (const p of op.parameters) if (p.required) expect(example.parameters[p.name], p.name).toBeDefined();
      for (const name of Object.keys(example.parameters)) {
        expect(op.parameters.map((p) => p.name)).toContain(name);
      }
      if (op.body) expect(op.body.safeParse(example.body).error, op.operationId).toBeUndefined();
      else expect(example.body).toBeUndefined();
      expect(
        contract.problems({
          method: op.method,
          url,
          status: op.status,
          contentType: "application/json",
          body: JSON.stringify(example.response),
        }),
      ).toEqual([]);
      const answer = JSON.stringify(example.response);
      expect(answer).not.toContain(secretValue);
      expect(answer).not.toMatch(/"secret"|keyValue|password/);
      // The document carries the same example.
      const media = doc.paths[path]?.[op.method]?.responses[String(op.status)]?.content?.["application/json"];
      expect(media?.example).toEqual(example.response);
    }

    // The create example really creates, and answers the fields the example shows.
    const { app } = testApp();
    const create = operationExamples.createCredential;
    const res = await request(app)
      .post("/api/clients/acme/credentials")
      .set("Authorization", tokens.admin)
      .send(create.body as object)
      .expect(201);
    expect(Object.keys(res.body.credentials[0]).sort()).toEqual(
      Object.keys((create.response as { credentials: object[] }).credentials[0] as object).sort(),
    );
    expect(JSON.stringify(res.body)).not.toContain(secretValue);
  });

  it("cuts no index summary mid-sentence", () => {
    expect(
      firstSentence("Report that the upstream refused the token (e.g. answered 401): dropped. Next"),
    ).toBe("Report that the upstream refused the token (e.g. answered 401): dropped");
    expect(firstSentence("One, e.g. this. Two")).toBe("One, e.g. this");
    expect(firstSentence("No stop at all")).toBe("No stop at all");
    expect(firstSentence("A question? Yes.")).toBe("A question?");
  });

  it("shows each route's errors and example, and the data-plane and health routes, on the page", async () => {
    const { app } = testApp();
    const { text } = await request(app).get("/api/docs").expect(200);
    expect(text).toContain("refused the token (e.g. answered 401)");
    expect(text).not.toMatch(/\(e\.g<\/span>/);
    const section = (method: string, path: string) => {
      const start = text.indexOf(`<section class="op" id="${method}`);
      const at = text.indexOf(`data-method="${method}" data-path="${path}"`, start);
      return text.slice(at, text.indexOf("</section>", at));
    };
    const list = section("get", "/api/clients/{clientId}/credentials");
    expect(list).toContain("Example request");
    expect(list).toContain("GET /api/clients/acme/credentials?limit=2");
    expect(list).not.toMatch(/>(409|412|413|415)</);
    const create = section("post", "/api/clients/{clientId}/credentials");
    expect(create).toMatch(/>409</);
    expect(create).toContain("Content-Type: application/json");
    for (const path of ["/authz/{clientId}/{targetCredentialId}", "/healthz", "/readyz", "/metrics"]) {
      expect(text).toContain(`data-path="${path}"`);
    }
  });

  it("documents the path it is mounted at without being told (req.baseUrl)", async () => {
    const { service } = testApp();
    const app = express();
    app.use("/v1/credkit", createCredkitRouter({ service, authenticate: () => null }));
    const { body } = await request(app).get("/v1/credkit/openapi.json").expect(200);
    expect(Object.keys(body.paths)).toContain("/v1/credkit/clients/{clientId}/credentials");
    expect(Object.keys(body.paths).every((p) => p.startsWith("/v1/credkit/"))).toBe(true);
    const page = await request(app).get("/v1/credkit/docs").expect(200);
    expect(page.text).toContain('href="/v1/credkit/openapi.json"');
    // An explicit basePath still wins (a proxy in front that rewrites the prefix).
    const proxied = express();
    proxied.use("/", createCredkitRouter({ service, authenticate: () => null, basePath: "/public/api" }));
    const res = await request(proxied).get("/openapi.json").expect(200);
    expect(Object.keys(res.body.paths)[0]).toMatch(/^\/public\/api\//);
  });
});

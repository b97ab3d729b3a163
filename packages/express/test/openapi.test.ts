import { openApiDocumentProblems } from "@credkit/api-contract";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { testApp } from "./app.js";

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
      "GET /api/clients/{clientId}/credentials listCredentials",
      "GET /api/clients/{clientId}/credentials/{credentialId} getCredential",
      "GET /api/oauth2/callback completeAuthorization",
      "POST /api/clients/{clientId}/credentials createCredential",
      "POST /api/clients/{clientId}/credentials/{credentialId}/invalidate invalidateTargetToken",
      "POST /api/clients/{clientId}/credentials/{credentialId}/resolve resolveTargetAuth",
      "POST /api/clients/{clientId}/verify verifyProxyRequest",
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
    expect(res.text).not.toMatch(/<script|https?:\/\/(?!json-schema)/);
  });
});

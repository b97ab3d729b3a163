import { admin, target, targetService } from "@credkit/test-support";
import { describe, expect, it } from "vitest";
import {
  createCredentialBody,
  documentedBody,
  parseOrThrow,
  publicCredential,
  targetAuthResponse,
  updateCredentialBody,
  verifyRequestBody,
  verifyResponse,
} from "../src/index.js";
import { pathsOf } from "./field-paths.js";

// The OpenAPI document (@credkit/express) shows these schemas; core's operations check a create or
// update body's secret against its authType's own schema instead, so these are held to their word here.
describe("documented credential bodies", () => {
  const create = { credentialName: "n", credentialType: "proxy", authType: "apiKey" };

  it("show the secret as one of the secret shapes, optional as in the body itself", () => {
    for (const body of [documentedBody(createCredentialBody), documentedBody(updateCredentialBody)]) {
      expect(pathsOf(body, { ...create, secret: { keyName: "X-Api-Key", keyValue: "k-123" } })).toEqual([]);
      expect(pathsOf(body, { ...create, secret: { username: "u", password: "p" } })).toEqual([]);
      expect(pathsOf(body, create)).toEqual([]);
      // The bodies themselves take any secret (checked later, by authType): the documented one does not.
      for (const secret of [42, "sk-plain", { nothing: "known" }])
        expect(pathsOf(body, { ...create, secret }), JSON.stringify(secret)).toEqual(["secret"]);
    }
  });

  it("take a default rule effect of allow or deny, given or left out", () => {
    for (const body of [createCredentialBody, updateCredentialBody]) {
      for (const credentialDefaultRuleEffect of ["allow", "deny"])
        expect(pathsOf(body, { ...create, credentialDefaultRuleEffect })).toEqual([]);
      expect(pathsOf(body, { ...create, credentialDefaultRuleEffect: "maybe" })).toEqual([
        "credentialDefaultRuleEffect",
      ]);
    }
  });
});

describe("documented credential answers", () => {
  it("name every field of a credential as the service shows it, and of a target's auth", async () => {
    const { service, clientId } = targetService();
    const created = await service.create(
      admin,
      clientId,
      target("apiKey", { keyName: "X-Api-Key", keyValue: "k-0123456789abcdef" }),
    );
    const view = await service.get(admin, clientId, created.credentialId);
    expect(Object.keys(publicCredential.shape).sort()).toEqual(Object.keys(view).sort());
    expect(publicCredential.parse(view)).toEqual(view);
    const auth = await service.resolveTargetAuth(admin, clientId, created.credentialId);
    expect(auth.headers).toEqual({ "X-Api-Key": "k-0123456789abcdef" });
    expect(targetAuthResponse.parse(auth)).toEqual(auth);
    const inQuery = { headers: {}, query: { api_key: "k-0123456789abcdef" } };
    expect(targetAuthResponse.parse(inQuery)).toEqual(inQuery);
  });
});

describe("verify bodies", () => {
  it("take the incoming request's headers, each one value or many, and nothing else", () => {
    const headers = { authorization: "Bearer t", "x-forwarded-for": ["10.0.0.1", "10.0.0.2"] };
    expect(parseOrThrow(verifyRequestBody, { headers })).toEqual({ headers });
    expect(pathsOf(verifyRequestBody, { headers: { "x-count": 3 } })).toEqual(["headers.x-count"]);
    expect(pathsOf(verifyRequestBody, { headers: { "x-list": ["a", 3] } })).toEqual(["headers.x-list"]);
    expect(pathsOf(verifyRequestBody, { headers, body: "b" })).toEqual(["body"]);
    expect(pathsOf(verifyRequestBody, {})).toEqual(["headers"]);
  });

  it("answer with every field the verifier gives", () => {
    const refused = { allowed: false, reason: "DENIED" };
    expect(verifyResponse.parse(refused)).toEqual(refused);
    const degraded = { allowed: true, degraded: true };
    expect(verifyResponse.parse(degraded)).toEqual(degraded);
    expect(verifyResponse.safeParse({ reason: "DENIED" }).success).toBe(false);
  });
});

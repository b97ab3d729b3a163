import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredkitClient } from "../src/index.js";
import { checkedFetch, startCredkit, tokens } from "./support/server.js";

// client.authz() against the REAL data-plane listener (CREDKIT_AUTHZ_PORT), not a stand-in:
// the credentials are created through the management API, the verdicts come from the listener.
const endClientKey = `end-client-key-${randomBytes(12).toString("hex")}`;
const upstreamToken = `upstream-token-${randomBytes(12).toString("hex")}`;
const upstreamQuery = `upstream-query-${randomBytes(12).toString("hex")}`;

let credkit: Awaited<ReturnType<typeof startCredkit>>;
let proxyCredentialId: string;
let targetId: string;
let customTargetId: string;
let otherTargetId: string;

const dataPlane = (token: string = tokens.gateway) => {
  if (!credkit.authzUrl) throw new Error("the authz listener did not start");
  return createCredkitClient({
    baseUrl: credkit.baseUrl,
    token: tokens.admin,
    authz: { baseUrl: credkit.authzUrl, token },
    retry: { retries: 0 },
  });
};

beforeAll(async () => {
  credkit = await startCredkit({ CREDKIT_AUTHZ_PORT: "0" });
  const admin = createCredkitClient({ baseUrl: credkit.baseUrl, token: tokens.admin, fetch: checkedFetch });
  const created = async (clientId: string, input: Parameters<typeof admin.createCredential>[1]) =>
    (await admin.createCredential(clientId, input)).credential.credentialId;
  proxyCredentialId = await created("acme", {
    credentialName: "inbound",
    credentialType: "proxy",
    authType: "apiKey",
    region: "eu-west-1",
    secret: { keyName: "X-Api-Key", keyValue: endClientKey },
  });
  targetId = await created("acme", {
    credentialName: "upstream",
    credentialType: "target",
    authType: "bearer",
    region: "eu-west-1",
    secret: { token: upstreamToken },
  });
  customTargetId = await created("acme", {
    credentialName: "upstream-custom",
    credentialType: "target",
    authType: "custom",
    region: "eu-west-1",
    secret: { headers: { "X-Upstream-Key": upstreamToken }, query: { api_key: upstreamQuery, v: "2" } },
  });
  otherTargetId = await created("other", {
    credentialName: "elsewhere",
    credentialType: "target",
    authType: "bearer",
    region: "eu-west-1",
    secret: { token: upstreamToken },
  });
});
afterAll(() => credkit?.stop());

describe("client.authz against the real data-plane listener", () => {
  it("allows a valid proxy credential and carries the static target's headers", async () => {
    const answer = await dataPlane().authz({
      clientId: "acme",
      targetCredentialId: targetId,
      headers: { "X-Api-Key": endClientKey },
      method: "POST",
    });
    expect(answer).toEqual({
      allowed: true,
      credentialId: proxyCredentialId,
      headers: { authorization: `Bearer ${upstreamToken}` },
      query: {},
    });
  });

  it("carries a custom target's headers and query, and nothing without a target", async () => {
    expect(
      await dataPlane().authz({
        clientId: "acme",
        targetCredentialId: customTargetId,
        headers: { "X-Api-Key": endClientKey },
      }),
    ).toEqual({
      allowed: true,
      credentialId: proxyCredentialId,
      headers: { "x-upstream-key": upstreamToken },
      query: { api_key: upstreamQuery, v: "2" },
    });
    expect(await dataPlane().authz({ clientId: "acme", headers: { "X-Api-Key": endClientKey } })).toEqual({
      allowed: true,
      credentialId: proxyCredentialId,
      headers: {},
      query: {},
    });
  });

  it("refuses a missing or wrong end-client credential with 401 and its reason, naming no secret", async () => {
    const missing = await dataPlane().authz({ clientId: "acme", targetCredentialId: targetId, headers: {} });
    expect(missing).toEqual({
      allowed: false,
      status: 401,
      reason: "NO_CREDENTIAL",
      retryAfterSeconds: undefined,
    });
    const wrong = await dataPlane().authz({
      clientId: "acme",
      targetCredentialId: targetId,
      headers: { "X-Api-Key": `${endClientKey}-wrong` },
    });
    expect(wrong).toMatchObject({ allowed: false, status: 401, reason: "NO_CREDENTIAL" });
    expect(JSON.stringify(wrong)).not.toContain(upstreamToken);
    // A proxy token the server does not know is refused as such.
    expect(
      await dataPlane("unknown-proxy-token-0123456789").authz({
        clientId: "acme",
        headers: { "X-Api-Key": endClientKey },
      }),
    ).toMatchObject({ allowed: false, status: 401, reason: "PROXY_TOKEN_INVALID" });
  });

  it("answers 403 when the proxy token has no access: no authz scope, another client, another client's target", async () => {
    const headers = { "X-Api-Key": endClientKey };
    // A known token without the authz scope.
    expect(await dataPlane(tokens.acme).authz({ clientId: "acme", headers })).toMatchObject({
      allowed: false,
      status: 403,
    });
    // The gateway token serves acme only.
    expect(await dataPlane().authz({ clientId: "other", headers })).toMatchObject({
      allowed: false,
      status: 403,
    });
    // A target of another client is not acme's to use.
    const foreign = await dataPlane().authz({ clientId: "acme", targetCredentialId: otherTargetId, headers });
    expect(foreign).toEqual({
      allowed: false,
      status: 403,
      reason: "TARGET_NOT_FOUND",
      retryAfterSeconds: undefined,
    });
    expect(JSON.stringify(foreign)).not.toContain(upstreamToken);
  });
});

// Property-based tests of everything around the bodies against a real server (docs/contract.md): path,
// query and header parameters, the OAuth callback, media types, and the headers verify is asked about.
// Never a 5xx, every answer documented. Seeded and bounded: CREDKIT_FUZZ_SEED replays a run.
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SECRET_MARK, verifyHeaders } from "./fuzz/arbitraries.js";
import { params, propertyTimeoutMs, useFuzzServer } from "./fuzz/harness.js";

const api = useFuzzServer("requests");

describe("API fuzz: parameters, media types, verify (fast-check, real server)", {
  timeout: propertyTimeoutMs,
}, () => {
  it("path, query and header parameters of any shape never get a 5xx", async () => {
    const clientId = api.freshClient();
    const created = await api.call(
      "POST",
      `/clients/${clientId}/credentials`,
      JSON.stringify({
        credentialName: "p",
        credentialType: "target",
        authType: "none",
        region: "eu-west-1",
      }),
    );
    const realId: string = created.body.credentials[0].credentialId;
    const anyText = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 60 }),
      fc.constantFrom(
        "",
        "0",
        "-1",
        "1e3",
        "1001",
        "NaN",
        "eu-west-1.",
        ".",
        "..",
        "%",
        realId,
        `${realId}x`,
      ),
      fc.string({ unit: "binary", maxLength: 40 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          clientId: fc.oneof(fc.constant(clientId), anyText),
          credentialId: fc.oneof(fc.constant(realId), anyText),
          limit: anyText,
          cursor: anyText,
          includeTemporary: anyText,
          ifMatch: anyText,
          idempotencyKey: anyText,
          route: fc.constantFrom("list", "get", "put", "delete", "create", "resolve", "invalidate"),
        }),
        async (p) => {
          const c = encodeURIComponent(p.clientId);
          const item = `/clients/${c}/credentials/${encodeURIComponent(p.credentialId)}`;
          const query = new URLSearchParams({
            limit: p.limit,
            cursor: p.cursor,
            includeTemporary: p.includeTemporary,
          });
          // Header values must be ByteStrings for fetch: keep what can be sent.
          const header = (value: string) => value.replace(/[^\x20-\x7e]/g, "");
          switch (p.route) {
            case "list":
              return void (await api.call("GET", `/clients/${c}/credentials?${query}`));
            case "get":
              return void (await api.call("GET", item));
            case "delete":
              return void (await api.call(
                "DELETE",
                `/clients/${c}/credentials/${encodeURIComponent(`${p.credentialId}x`)}`,
              ));
            case "put":
              return void (await api.call("PUT", item, JSON.stringify({ credentialName: "q" }), {
                "If-Match": header(p.ifMatch),
              }));
            case "create":
              return void (await api.call(
                "POST",
                `/clients/${c}/credentials`,
                JSON.stringify({ credentialName: "i", credentialType: "target", authType: "none" }),
                { "Idempotency-Key": header(p.idempotencyKey) },
              ));
            default:
              return void (await api.call("POST", `${item}/${p.route}`));
          }
        },
      ),
      params,
    );
  });

  it("the OAuth callback (no token) and any Content-Type or Accept never get a 5xx", async () => {
    const clientId = api.freshClient();
    const anyText = fc.oneof(fc.string({ unit: "grapheme", maxLength: 80 }), fc.constantFrom("", "x", "%zz"));
    await fc.assert(
      fc.asyncProperty(
        fc.record({ code: anyText, state: anyText, error: anyText }, { requiredKeys: [] }),
        fc.constantFrom("application/json", "text/html", "*/*", "", "application/xml;q=0.1, */*;q=0"),
        fc.oneof(
          fc.constantFrom(
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=latin1",
            "application/json; charset=utf-16",
            "application/merge-patch+json",
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
            "",
          ),
          fc.stringMatching(/^[a-z]{1,10}\/[a-z+.-]{1,15}$/),
        ),
        async (query, accept, contentType) => {
          const res = await fetch(`${api.baseUrl()}/oauth2/callback?${new URLSearchParams(query)}`, {
            headers: accept ? { Accept: accept } : {},
          });
          const text = await res.text();
          expect(res.status, text.slice(0, 200)).toBeLessThan(500);
          await api.call(
            "POST",
            `/clients/${clientId}/credentials`,
            JSON.stringify({ credentialName: "ct", credentialType: "target", authType: "none" }),
            { "Content-Type": contentType },
          );
        },
      ),
      params,
    );
  });

  it("verify: any incoming headers against every proxy authType answer 200 allowed or not, never a 5xx", async () => {
    const clientId = api.freshClient();
    const proxies = [
      { authType: "apiKey", secret: { keyName: "X-Api-Key", keyValue: `${SECRET_MARK}-key` } },
      { authType: "bearer", secret: { token: `${SECRET_MARK}-bearer` } },
      { authType: "basicAuth", secret: { username: "user", password: `${SECRET_MARK}-password` } },
      { authType: "jwt", secret: { token: `${SECRET_MARK}.eyJzdWIiOiJ4In0.c2ln` } },
      {
        authType: "jwtVerify",
        secret: {
          algorithms: ["HS256"],
          issuer: "https://issuer.example",
          audience: "api",
          secret: `${SECRET_MARK}-shared-secret-0123456789abcdef`,
        },
      },
    ];
    for (const proxy of proxies) {
      const res = await api.call(
        "POST",
        `/clients/${clientId}/credentials`,
        JSON.stringify({
          credentialName: proxy.authType,
          credentialType: "proxy",
          region: "eu-west-1",
          ...proxy,
        }),
      );
      expect(res.status).toBe(201);
    }
    await fc.assert(
      fc.asyncProperty(verifyHeaders, async (headers) => {
        const res = await api.call("POST", `/clients/${clientId}/verify`, JSON.stringify({ headers }));
        expect([200, 400]).toContain(res.status);
      }),
      params,
    );
  });
});

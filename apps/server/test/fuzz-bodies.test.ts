// Property-based tests of request bodies against a real server (docs/contract.md): every answer is a
// 2xx or a documented 4xx with the error shape, never a 5xx, never carrying a secret, and a refused
// request stores or changes nothing. Seeded and bounded: CREDKIT_FUZZ_SEED replays a run.
import { buildOpenApiDocument } from "@credkit/express";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  aroundSchema,
  createBody,
  customSecret,
  rawBody,
  SECRET_MARK,
  updateBody,
} from "./fuzz/arbitraries.js";
import { fromSchema, type JsonSchema } from "./fuzz/from-schema.js";
import { params, propertyTimeoutMs, token, useFuzzServer } from "./fuzz/harness.js";

const api = useFuzzServer("bodies");

describe("API fuzz: bodies (fast-check, real server)", { timeout: propertyTimeoutMs }, () => {
  it("create: any body gets 201 or a documented 4xx, stores nothing when refused, echoes no secret", async () => {
    await fc.assert(
      fc.asyncProperty(aroundSchema(createBody), async (body) => {
        const clientId = api.freshClient();
        const res = await api.call("POST", `/clients/${clientId}/credentials`, JSON.stringify(body));
        if (res.status === 201) {
          expect(res.body.credentials[0].credentialAuthType).toBe(body.authType);
        } else {
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(await api.storedCount(clientId)).toBe(0);
        }
      }),
      params,
    );
  });

  it("create, from the OpenAPI request schema itself: documented answers, nothing stored when refused", async () => {
    const document = buildOpenApiDocument({ basePath: "/api" });
    const schema = document.paths["/api/clients/{clientId}/credentials"]?.post as {
      requestBody: { content: { "application/json": { schema: JsonSchema } } };
    };
    const bodySchema = schema.requestBody.content["application/json"].schema;
    // The documented secret is any of the shapes, in authType order: pairing branch i with authType i
    // gives bodies the server can accept too, not only ones it refuses.
    const shapes = bodySchema.properties?.secret?.anyOf ?? [];
    const authTypes = bodySchema.properties?.authType?.enum ?? [];
    const paired = fc
      .integer({ min: 0, max: shapes.length - 1 })
      .chain((i) =>
        fc
          .tuple(
            fromSchema(bodySchema),
            fromSchema(shapes[i] as JsonSchema),
            fc.constantFrom("eu-west-1", "us-east-1"),
          )
          .map(([body, secret, region]) => ({ ...(body as object), authType: authTypes[i], secret, region })),
      );
    const bodies = fc.oneof(fromSchema(bodySchema), paired) as fc.Arbitrary<Record<string, unknown>>;
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const clientId = api.freshClient();
        const res = await api.call("POST", `/clients/${clientId}/credentials`, JSON.stringify(body));
        if (res.status !== 201) expect(await api.storedCount(clientId)).toBe(0);
        // Long secret values of the body (not also used elsewhere in it) never come back.
        const { secret, ...rest } = body;
        const elsewhere = JSON.stringify(rest);
        for (const value of stringLeaves(secret)) {
          if (value.length >= 12 && new Set(value).size >= 4 && !elsewhere.includes(value)) {
            expect(JSON.stringify(res.body)).not.toContain(JSON.stringify(value).slice(1, -1));
          }
        }
      }),
      params,
    );
  });

  it("update: any body gets 200 or a documented 4xx, and a refused one changes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(aroundSchema(updateBody), async (body) => {
        const clientId = api.freshClient();
        const created = await api.call(
          "POST",
          `/clients/${clientId}/credentials`,
          JSON.stringify({
            credentialName: "before",
            credentialType: "target",
            authType: "bearer",
            region: "eu-west-1",
            secret: { token: `${SECRET_MARK}-original` },
          }),
        );
        expect(created.status).toBe(201);
        const before = created.body.credentials[0];
        const path = `/clients/${clientId}/credentials/${before.credentialId}`;
        const res = await api.call("PUT", path, JSON.stringify(body));
        if (res.status !== 200) {
          expect(res.status).toBeGreaterThanOrEqual(400);
          const after = await api.call("GET", path);
          expect(after.body.credentials[0]).toEqual(before);
        }
      }),
      params,
    );
  });

  it("raw bodies (not JSON, JSON of anything) never get a 5xx on create, update or verify", async () => {
    const clientId = api.freshClient();
    await fc.assert(
      fc.asyncProperty(rawBody, fc.constantFrom("POST create", "PUT", "POST verify"), async (body, route) => {
        const path =
          route === "PUT"
            ? `/clients/${clientId}/credentials/eu-west-1.AAAAAAAAAAAAAAAAAAAAAA`
            : route === "POST verify"
              ? `/clients/${clientId}/verify`
              : `/clients/${clientId}/credentials`;
        await api.call(route.split(" ")[0] as string, path, body);
      }),
      params,
    );
    expect(await api.storedCount(clientId)).toBe(0);
  });

  it("custom: a created credential resolves to exactly the headers and query it was given, or is refused", async () => {
    await fc.assert(fc.asyncProperty(customSecret, createsWhatItWasGiven), params);
  });

  it("regression, seed 737900557: a __proto__ key in a custom query was answered 201 and dropped", async () => {
    const dropped = {
      headers: { "-": `${SECRET_MARK}` },
      query: JSON.parse(`{"__proto__":"${SECRET_MARK}"}`),
    };
    await fc.assert(fc.asyncProperty(customSecret, createsWhatItWasGiven), {
      seed: 737900557,
      path: "0:0:0:3:1",
      endOnFailure: true,
    });
    await fc.assert(fc.asyncProperty(fc.constant(dropped), createsWhatItWasGiven), { numRuns: 1 });
  });
});

/** Creates a `custom` credential with `secret`: refused, or stored and resolved exactly as sent. */
async function createsWhatItWasGiven(secret: {
  headers: Record<string, string>;
  query?: Record<string, string>;
}) {
  const clientId = api.freshClient();
  const body = JSON.stringify({
    credentialName: "c",
    credentialType: "target",
    authType: "custom",
    region: "eu-west-1",
    secret,
  });
  const created = await api.call("POST", `/clients/${clientId}/credentials`, body);
  if (created.status !== 201) {
    expect(created.status).toBe(400);
    expect(await api.storedCount(clientId)).toBe(0);
    return;
  }
  const id = created.body.credentials[0].credentialId;
  const resolved = await fetch(`${api.baseUrl()}/clients/${clientId}/credentials/${id}/resolve`, {
    method: "POST",
    headers: { Authorization: token },
  });
  // Compared as JSON text: own keys such as "__proto__" count like any other.
  const { headers, query } = JSON.parse(await resolved.text());
  expect(JSON.stringify(Object.entries(headers))).toBe(JSON.stringify(Object.entries(secret.headers)));
  expect(JSON.stringify(Object.entries(query))).toBe(JSON.stringify(Object.entries(secret.query ?? {})));
}

// The fields of a secret that hold secret material (URLs, names and ids are not secrets: an
// authorization-code create answers with an authorizationUrl built from the configured one).
const secretFields = new Set([
  "keyValue",
  "token",
  "password",
  "clientSecret",
  "secret",
  "headers",
  "query",
  "body",
]);

/** Every string held in a secret field of `value`. */
function stringLeaves(value: unknown, inSecretField = false): string[] {
  if (typeof value === "string") return inSecretField ? [value] : [];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, child]) =>
    stringLeaves(child, inSecretField || secretFields.has(key)),
  );
}

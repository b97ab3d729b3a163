import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import {
  contractRecorder,
  openApiDocumentProblems,
  responseContract,
  validatingFetch,
} from "../src/index.js";

// A small document in the shape the server generates: one operation, a success schema that forbids
// extra fields, the shared error schema.
const document = {
  openapi: "3.1.0",
  info: { title: "t", version: "1" },
  paths: {
    "/api/things/{id}": {
      get: {
        responses: {
          "200": {
            description: "ok",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: { id: { type: "string" }, n: { type: "integer" } },
                  required: ["id"],
                  additionalProperties: false,
                },
              },
            },
          },
          "404": {
            description: "missing",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
          },
        },
      },
    },
  },
  components: {
    schemas: {
      Error: {
        type: "object",
        properties: { message: { type: "string" }, code: { type: "string" } },
        required: ["message", "code"],
        additionalProperties: false,
      },
    },
  },
};
const contract = responseContract(document);
const answer = (status: number, body: unknown, contentType = "application/json") => ({
  method: "GET",
  url: "/api/things/a1?x=1",
  status,
  contentType,
  body: typeof body === "string" ? body : JSON.stringify(body),
});

describe("responseContract", () => {
  it("accepts documented answers, success and error", () => {
    expect(contract.problems(answer(200, { id: "a1", n: 2 }))).toEqual([]);
    expect(contract.problems(answer(404, { message: "no", code: "NOT_FOUND" }))).toEqual([]);
  });

  it("names an undocumented status, field, shape or media type", () => {
    expect(contract.problems(answer(500, { message: "x", code: "INTERNAL" }))[0]).toMatch(
      /status 500 is not documented/,
    );
    expect(contract.problems(answer(200, { id: "a1", secret: "s" }))[0]).toMatch(
      /additional properties.*secret/,
    );
    expect(contract.problems(answer(200, { id: 1 }))[0]).toMatch(/body\/id must be string/);
    expect(contract.problems(answer(404, { message: "no" }))[0]).toMatch(/code/);
    expect(contract.problems(answer(200, "<p>", "text/html"))[0]).toMatch(/media type "text\/html"/);
    expect(contract.problems(answer(200, "{", "application/json"))[0]).toMatch(/not JSON/);
    expect(() => contract.assert(answer(200, {}))).toThrow(/breaks the OpenAPI contract/);
  });

  it("leaves paths outside the document alone", () => {
    expect(contract.problems({ ...answer(500, "boom", "text/plain"), url: "/healthz" })).toEqual([]);
  });

  it("checks what a Node server sends (recorder) and what fetch receives (validatingFetch)", async () => {
    const recorder = contractRecorder(contract);
    const server = createServer((req, res) =>
      recorder.middleware(req, res, () => {
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify(req.url === "/api/things/good" ? { id: "good" } : { id: "bad", extra: true }));
      }),
    ).listen(0, "127.0.0.1");
    await once(server, "listening");
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const checked = validatingFetch(contract);
      expect((await checked(`${base}/api/things/good`)).status).toBe(200);
      expect(() => recorder.assertClean()).not.toThrow();
      await expect(checked(`${base}/api/things/bad`)).rejects.toThrow(/additional properties.*extra/);
      expect(() => recorder.assertClean()).toThrow(/broke the OpenAPI contract/);
      expect(() => recorder.assertClean()).not.toThrow();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe("openApiDocumentProblems", () => {
  it("passes a valid 3.1 document and reports a broken one", async () => {
    expect(await openApiDocumentProblems(document)).toEqual([]);
    expect(await openApiDocumentProblems({ ...document, openapi: "3.1.0", info: {} })).not.toEqual([]);
  });
});

// Every answer a server test receives through fetch (apiClient, raw fetch calls, the fuzz) is checked
// against the OpenAPI document: an undocumented status, field or shape fails the test that received it.
// Answers from paths the document does not describe (health, metrics, mock token servers) pass through.
import { responseContract, validatingFetch } from "@credkit/api-contract";
import { buildOpenApiDocument } from "@credkit/express";

globalThis.fetch = validatingFetch(
  responseContract(buildOpenApiDocument({ basePath: "/api" })),
  globalThis.fetch,
);

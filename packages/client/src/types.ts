import type { components, operations } from "./generated/openapi.js";

// Every type here is read off the generated OpenAPI types: none is written by hand, so a schema change
// on the server changes them (and the drift test fails until they are regenerated).
type JsonBody<Op> = Op extends { requestBody: { content: { "application/json": infer B } } } ? B : never;
type JsonAnswer<Op, Status extends number> = Op extends {
  responses: Record<Status, { content: { "application/json": infer R } }>;
}
  ? R
  : never;

/** A credential's public view (metadata only: the server never returns a secret). */
export type Credential = JsonAnswer<operations["getCredential"], 200>["credentials"][number];
/** The body of a create: name, type, authType, region, secret (shape per authType), ... */
export type CreateCredentialInput = JsonBody<operations["createCredential"]>;
/** The body of a partial update. */
export type UpdateCredentialInput = JsonBody<operations["updateCredential"]>;
/** What a create or update answers. */
export type CredentialResponse = JsonAnswer<operations["createCredential"], 201>;
/** One page of a list. */
export type CredentialPage = JsonAnswer<operations["listCredentials"], 200>;
/** The incoming request a proxy asks about. */
export type VerifyRequest = JsonBody<operations["verifyProxyRequest"]>;
/** The verdict on it: `{allowed:false, reason}` is an answer, not an error. */
export type VerifyResult = JsonAnswer<operations["verifyProxyRequest"], 200>;
/** The headers and query parameters to add to an outbound request (secret material). */
export type TargetAuth = JsonAnswer<operations["resolveTargetAuth"], 200>;
/** The body of every error answer. */
export type ErrorBody = components["schemas"]["Error"];
/** Query of a list call. */
export type ListQuery = NonNullable<operations["listCredentials"]["parameters"]["query"]>;

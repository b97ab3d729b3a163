import type { components, operations } from "./generated/openapi.js";
import type { AuthTypesByCredentialType, components as secretComponents } from "./generated/secrets.js";

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
type CreateBody = JsonBody<operations["createCredential"]>;
type UpdateBody = JsonBody<operations["updateCredential"]>;

/** A credential's type: `proxy` (checks incoming requests) or `target` (authenticates outgoing ones). */
export type CredentialType = CreateBody["credentialType"];
/** How a credential authenticates (`apiKey`, `bearer`, `oauth2`, ...). */
export type AuthType = CreateBody["authType"];
/** The auth types a credential type allows (`AuthTypeOf<"proxy">`). */
export type AuthTypeOf<C extends CredentialType> = AuthTypesByCredentialType[C];
/** The secret of an auth type as a caller writes it: fields with defaults may be left out. */
export type SecretInputOf<A extends AuthType> = secretComponents["schemas"][A];

/** The credential types an auth type is allowed for (`jwtVerify`: proxy only; `oauth2`: target only). */
type CredentialTypesOf<A extends AuthType> = {
  [C in CredentialType]: A extends AuthTypeOf<C> ? C : never;
}[CredentialType];

/**
 * The body of a create, as core's type of the same name: `secret` has the shape its `authType` names
 * (required, except for `none`, which has none), and `credentialType` is one the auth type allows.
 */
export type CreateCredentialInput = {
  [A in AuthType]: Omit<CreateBody, "credentialType" | "authType" | "secret"> & {
    credentialType: CredentialTypesOf<A>;
    authType: A;
    // Optional where the shape has no required field (`none`), as in core's type.
  } & (Record<string, never> extends SecretInputOf<A>
      ? { secret?: SecretInputOf<A> }
      : { secret: SecretInputOf<A> });
}[AuthType];
/** The create body of one auth type (`CreateCredentialInputOf<"apiKey">`). */
export type CreateCredentialInputOf<A extends AuthType> = Extract<CreateCredentialInput, { authType: A }>;
/**
 * The body of a partial update of a credential of auth type `A`: its `secret`, when sent, has that
 * type's shape (`authType` is immutable; the server accepts only the current value).
 */
export type UpdateCredentialInputOf<A extends AuthType> = Omit<UpdateBody, "authType" | "secret"> & {
  authType?: A;
  secret?: SecretInputOf<A>;
};
/** The body of a partial update, whatever the auth type (`UpdateCredentialInputOf<A>` ties the secret). */
export type UpdateCredentialInput = UpdateCredentialInputOf<AuthType>;
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

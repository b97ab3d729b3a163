import * as z from "zod";
import { clientIdPattern, regionPattern } from "../ids.js";
import {
  type AuthType,
  authTypes,
  type CredentialType,
  credentialStatuses,
  credentialTypes,
} from "../record.js";
import { NO_CONTROL_CHARACTERS, text } from "./fields.js";
import { type allowedAuthTypes, secretSchemas } from "./secrets.js";

const credentialName = text
  .trim()
  .min(1, "must not be empty")
  .max(256, "must be at most 256 characters")
  .regex(NO_CONTROL_CHARACTERS, "must not contain control characters");
const ruleEffect = z.enum(["allow", "deny"]);
const region = z.string().max(32).regex(regionPattern, "must be a region name such as eu-west-1");
const clientRef = z.string().regex(clientIdPattern, "must be 1-128 of A-Z a-z 0-9 . _ : @ -");
// A date-time with its offset (`Z` or `+02:00`): without one the instant would depend on a server's zone.
const expiresAt = z.iso
  .datetime({
    offset: true,
    message: "must be an ISO 8601 date-time with an offset, e.g. 2030-01-31T00:00:00Z",
  })
  .describe(
    "When the credential expires (ISO 8601, in the future): from then on it is refused everywhere, listed only with includeExpired=true, and deleted after the server's retention grace (30 days by default)",
  );

/** Every secret shape, for documentation; validation picks the one its `authType` names. */
export const anySecret = z
  .union(Object.values(secretSchemas) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]])
  .describe("The secret; its shape depends on authType (see the secret schemas)");

/**
 * Body of `POST /clients/{clientId}/credentials`. `secret` is checked afterwards against the schema its
 * `authType` names, so errors point at the right field; {@link documentedBody} shows the shapes.
 */
export const createCredentialBody = z.strictObject({
  credentialName,
  credentialType: z.enum(credentialTypes),
  authType: z.enum(authTypes),
  region: region.optional().describe("Defaults to the server's default region when it has one"),
  singleUse: z.boolean().default(false),
  secret: z.unknown().optional(),
  credentialDefaultRuleEffect: ruleEffect.default("allow"),
  parentId: clientRef.optional().describe("Defaults to the clientId"),
  expiresAt: expiresAt.optional(),
});

/** Body of `PUT /clients/{clientId}/credentials/{credentialId}`: a partial update. */
export const updateCredentialBody = z.strictObject({
  credentialName: credentialName.optional(),
  credentialDefaultRuleEffect: ruleEffect.optional(),
  singleUse: z.boolean().optional(),
  secret: z.unknown().optional(),
  credentialType: z
    .enum(credentialTypes)
    .optional()
    .describe("Immutable: only the current value is accepted"),
  authType: z.enum(authTypes).optional().describe("Immutable: only the current value is accepted"),
  region: region.optional().describe("Immutable: only the current value is accepted"),
  expiresAt: expiresAt
    .nullable()
    .optional()
    .describe("A new expiry (ISO 8601, in the future; renews an expired credential), or null for none"),
});

/** A body schema as documented: its `secret` described by every secret shape. */
export function documentedBody(body: typeof createCredentialBody | typeof updateCredentialBody) {
  return body.extend({ secret: anySecret.optional() });
}

/** The public, secret-free view of a credential: the only shape credkit ever answers with. */
export const publicCredential = z.object({
  pKey: z.string().describe("= clientId"),
  sKey: z.string().describe("= credentialId"),
  credentialId: z.string(),
  clientId: z.string(),
  parentId: z.string(),
  userId: z.string().describe("The user who created it"),
  credentialType: z.enum(credentialTypes),
  credentialAuthType: z.enum(authTypes),
  credentialName: z.string(),
  credentialRegion: z.string(),
  credentialDefaultRuleEffect: ruleEffect,
  credentialSingleUse: z.boolean(),
  credentialTemporary: z.boolean(),
  credentialVersion: z.int(),
  credentialExpiresAt: z
    .string()
    .nullable()
    .describe(
      "ISO-8601 UTC: when the credential expires (its expiresAt), or a pending credential's deadline; null = never",
    ),
  credentialStatus: z
    .enum(credentialStatuses)
    .describe(
      "active; pending_authorization (an oauth2 authorization-code credential awaiting its callback); needs_reauthorization (its refresh token was refused)",
    ),
  credentialCreatedAt: z.string().describe("ISO-8601 UTC"),
  credentialUpdatedAt: z.string().describe("ISO-8601 UTC"),
});

/** A public credential. */
export type PublicCredential = z.output<typeof publicCredential>;
/** The secret an embedder writes for an auth type: the schema's input side, so defaults may be left out. */
export type SecretInputOf<A extends AuthType> = z.input<(typeof secretSchemas)[A]>;

type CreateBodyInput = z.input<typeof createCredentialBody>;

/**
 * A create body as an embedder writes it (the schema's input side): fields with defaults (`singleUse`,
 * `credentialDefaultRuleEffect`) may be left out, and `secret` has the shape its `authType` names. The
 * service still validates it at run time (the REST body arrives as `unknown`). The client's type of the
 * same name describes the same JSON body.
 */
export type CreateCredentialInput = {
  [A in AuthType]: Omit<CreateBodyInput, "credentialType" | "authType" | "secret"> & {
    credentialType: CredentialTypesOf<A>;
    authType: A;
  } & (A extends "none" ? { secret?: SecretInputOf<A> } : { secret: SecretInputOf<A> });
}[AuthType];

/** The create body of one auth type (`CreateCredentialInputOf<"apiKey">`). */
export type CreateCredentialInputOf<A extends AuthType> = Extract<CreateCredentialInput, { authType: A }>;

/** The auth types a credential type allows, as a type (`allowedAuthTypes` at run time). */
export type AuthTypeOf<C extends CredentialType> = (typeof allowedAuthTypes)[C][number];

/** The credential types an auth type is allowed for (`jwtVerify`: proxy only; `oauth2`: target only). */
type CredentialTypesOf<A extends AuthType> = {
  [C in CredentialType]: A extends (typeof allowedAuthTypes)[C][number] ? C : never;
}[CredentialType];

/**
 * A partial update of a credential of auth type `A`: its `secret`, when sent, has that type's shape
 * (`authType` is immutable; only the current value is accepted).
 */
export type UpdateCredentialInputOf<A extends AuthType> = Omit<
  z.input<typeof updateCredentialBody>,
  "authType" | "secret"
> & {
  authType?: A;
  secret?: SecretInputOf<A>;
};

/** A partial update as an embedder writes it; `secret` must fit the credential's (immutable) auth type. */
export type UpdateCredentialInput = UpdateCredentialInputOf<AuthType>;

/**
 * Body of `POST /clients/{clientId}/verify`: the headers of the incoming request to check. Any ordinary
 * request is accepted (the body limit bounds its size); the verifier ignores what is over its bounds.
 */
export const verifyRequestBody = z.strictObject({
  headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
});

/** Answer of `POST /clients/{clientId}/verify`: always 200; `allowed:false` with a reason is an answer. */
export const verifyResponse = z.object({
  allowed: z.boolean(),
  credential: publicCredential.optional(),
  degraded: z
    .boolean()
    .optional()
    .describe("true when a fail-open jwtVerify let the request through unverified"),
  reason: z.enum(["NO_CREDENTIAL", "INVALID", "EXPIRED", "DENIED", "JWKS_UNAVAILABLE"]).optional(),
});

/** What `resolveTargetAuth` answers: headers and query parameters to add to the outbound request. */
export const targetAuthResponse = z.object({
  headers: z.record(z.string(), z.string()).describe("Header name → value, e.g. Authorization"),
  query: z.record(z.string(), z.string()).describe("Query parameter name → value"),
});

/** Headers and query parameters that authenticate an outbound request with a target credential. */
export type TargetAuth = z.output<typeof targetAuthResponse>;

import * as z from "zod";
import type { AuthType, CredentialType } from "../record.js";
import {
  HEADER_VALUE_CHARACTERS,
  HEADER_VALUE_MESSAGE,
  headerMap,
  headerName,
  headerValue,
  isSafeText,
  outboundUrl,
  SAFE_TEXT_MESSAGE,
  shortText,
  text,
} from "./fields.js";

// HTTP strips a header value's surrounding whitespace, so such a value could never be presented.
const trimmedHeaderValue = headerValue.regex(
  /^(?!\s)[\s\S]*(?<!\s)$/,
  "must not start or end with whitespace",
);

/** `apiKey`: the key travels in the header named `keyName`. */
export const apiKeySecret = z.strictObject({ keyName: headerName, keyValue: trimmedHeaderValue });

/** `bearer`: `Authorization: Bearer <token>` (one token: no spaces, RFC 6750). */
export const bearerSecret = z.strictObject({
  token: headerValue.regex(/^\S+$/, "must not contain spaces or other whitespace"),
});

/** `jwt`: a compact JWS sent as `Authorization: Bearer <token>`. */
export const jwtSecret = z.strictObject({
  token: headerValue.regex(
    /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/,
    "must be a compact JWT (three base64url parts)",
  ),
});

/** `basicAuth`: `Authorization: Basic base64(username:password)`. */
export const basicAuthSecret = z.strictObject({
  username: headerValue.regex(/^[^:]*$/, "must not contain ':'"),
  password: headerValue,
});

/** Algorithms jwtVerify accepts: asymmetric ones with a JWKS, HS* with a shared secret, never `none`. */
export const jwtAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"] as const; // biome-ignore format: list

/** `jwtVerify` (proxy only): how to verify a JWT an incoming request presents. */
export const jwtVerifySecret = z
  .strictObject({
    algorithms: z.array(z.enum(jwtAlgorithms)).min(1, "must list at least one algorithm"),
    issuer: shortText,
    audience: z.union([shortText, z.array(shortText).min(1)]),
    subject: shortText.optional(),
    jwksUri: outboundUrl.optional(),
    secret: text.min(32, "must be at least 32 characters").max(1024).optional(),
    clockSkewSeconds: z.int().min(0).max(600).optional(),
    failPolicy: z.enum(["fail-closed", "fail-open"]).default("fail-closed"),
    allowMissingExp: z
      .boolean()
      .optional()
      .describe("Accept tokens without an exp claim (refused by default)"),
  })
  .superRefine((value, ctx) => {
    if ((value.jwksUri === undefined) === (value.secret === undefined)) {
      // Stryker disable next-line StringLiteral: zod reports an added issue by its path and message, whatever its code (parseOrThrow reads only those)
      ctx.addIssue({ code: "custom", path: ["jwksUri"], message: "give exactly one of jwksUri or secret" });
      return;
    }
    const symmetric = value.algorithms.filter((alg) => alg.startsWith("HS"));
    if (value.jwksUri !== undefined && symmetric.length > 0) {
      ctx.addIssue({
        // Stryker disable next-line StringLiteral: zod reports an added issue by its path and message, whatever its code (parseOrThrow reads only those)
        code: "custom",
        path: ["algorithms"],
        message: "HS* algorithms need a shared secret, not a jwksUri",
      });
    }
    if (value.secret !== undefined && symmetric.length !== value.algorithms.length) {
      ctx.addIssue({
        // Stryker disable next-line StringLiteral: zod reports an added issue by its path and message, whatever its code (parseOrThrow reads only those)
        code: "custom",
        path: ["algorithms"],
        message: "with a shared secret only HS256, HS384 and HS512 are allowed",
      });
    }
  });

const scopes = z
  .array(
    text
      .min(1)
      .max(256)
      .regex(/^[^\s]+$/, "must not contain spaces"),
  )
  .max(100);

/** `oauth2` client-credentials grant (target only). */
// Stryker disable next-line ObjectLiteral: killed, but unseen: z.discriminatedUnion throws at import without the grantType literal, every test file fails to load, and Stryker's vitest runner counts that as survived (docs/development.md)
export const oauth2ClientCredentialsSecret = z.strictObject({
  grantType: z.literal("client_credentials"),
  tokenUrl: outboundUrl,
  clientId: shortText,
  clientSecret: headerValue,
  scopes: scopes.optional(),
  audience: shortText.optional(),
  tokenEndpointAuthMethod: z
    .enum(["client_secret_basic", "client_secret_post"])
    .default("client_secret_basic"),
});

/** `oauth2` authorization-code grant, PKCE by default (target only). */
// Stryker disable next-line ObjectLiteral: killed, but unseen: z.discriminatedUnion throws at import without the grantType literal, every test file fails to load, and Stryker's vitest runner counts that as survived (docs/development.md)
export const oauth2AuthorizationCodeSecret = z.strictObject({
  grantType: z.literal("authorization_code"),
  authorizationUrl: outboundUrl,
  tokenUrl: outboundUrl,
  clientId: shortText,
  clientSecret: headerValue.optional(),
  scopes: scopes.optional(),
  redirectUri: outboundUrl,
  pkce: z.boolean().default(true),
});

/** `oauth2` (target only): either grant. */
// Stryker disable next-line StringLiteral: killed, but unseen: z.discriminatedUnion throws at import without the grantType literal, every test file fails to load, and Stryker's vitest runner counts that as survived (docs/development.md)
export const oauth2Secret = z.discriminatedUnion("grantType", [
  oauth2ClientCredentialsSecret,
  oauth2AuthorizationCodeSecret,
]);

/** Every string (keys and values) of a JSON body passes {@link isSafeText}; its size is bounded before. */
function jsonTextIsSafe(value: unknown): boolean {
  if (typeof value === "string") return isSafeText(value);
  // Objects and arrays alike (an array's keys are its indexes); a number, boolean or null has no entries.
  return Object.entries(value ?? {}).every(([key, inner]) => isSafeText(key) && jsonTextIsSafe(inner));
}

/** `customToken` (target only): fetch a token with a configured request, then inject it. */
export const customTokenSecret = z.strictObject({
  tokenUrl: outboundUrl,
  method: z.enum(["GET", "POST"]).default("POST"),
  headers: headerMap.optional(),
  body: z
    .union([text.max(65536), z.record(text, z.unknown()).refine(jsonTextIsSafe, SAFE_TEXT_MESSAGE)])
    .optional(),
  tokenPath: text.min(1).max(256).default("access_token"),
  expiresInPath: text.min(1).max(256).optional(),
  ttlSeconds: z
    .int()
    .min(1)
    .max(86400 * 30)
    .optional(),
  headerName: headerName.default("Authorization"),
  headerPrefix: text.max(64).regex(HEADER_VALUE_CHARACTERS, HEADER_VALUE_MESSAGE).default("Bearer "),
});

/** `custom` (target only): static headers (and query parameters) to add to outbound requests. */
export const customSecret = z.strictObject({
  headers: headerMap.refine((h) => Object.keys(h).length > 0, "must hold at least one header"),
  query: z.record(text.min(1).max(256), text.max(8192)).optional(),
});

/** `none` (target only): no secret. */
export const noneSecret = z.strictObject({});

/** The secret schema of each auth type. */
export const secretSchemas = {
  apiKey: apiKeySecret,
  bearer: bearerSecret,
  jwt: jwtSecret,
  basicAuth: basicAuthSecret,
  jwtVerify: jwtVerifySecret,
  oauth2: oauth2Secret,
  customToken: customTokenSecret,
  custom: customSecret,
  none: noneSecret,
} satisfies Record<AuthType, z.ZodType>;

/** The decrypted secret of an auth type. */
export type SecretOf<A extends AuthType> = z.output<(typeof secretSchemas)[A]>;
/** Any decrypted secret. */
export type Secret = SecretOf<AuthType>;

/** Which auth types each credential type allows (the proxy/target matrix). */
export const allowedAuthTypes = {
  proxy: ["apiKey", "bearer", "jwt", "basicAuth", "jwtVerify"],
  target: ["apiKey", "bearer", "jwt", "basicAuth", "oauth2", "customToken", "custom", "none"],
} as const satisfies Record<CredentialType, readonly AuthType[]>;

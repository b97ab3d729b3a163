/**
 * The data plane's HTTP contract (`ANY /authz/{clientId}[/{targetCredentialId}]`), in one place: the
 * header names, the names a target credential can never set on an answer, and every refusal with its
 * status, message and challenge. The server's listener, an embedding service's own port (both through
 * `createAuthzHandler` in `@credkit/express`) and `@credkit/client` (a generated copy, checked for
 * drift like its OpenAPI types) all read this module, so the two sides cannot disagree on a name.
 */
export const authzHeaders = {
  /** The proxy's own token (a user token with scope `authz`), sent by the proxy on every subrequest. */
  token: "X-Credkit-Token",
  /** On an allowed answer: the id of the proxy credential that matched. */
  credentialId: "X-Credkit-Credential-Id",
  /** On an allowed answer: `true` when a fail-open jwtVerify let the request through unverified. */
  degraded: "X-Credkit-Degraded",
  /** On an allowed answer: the target's query parameters, form-encoded. */
  targetQuery: "X-Credkit-Target-Query",
} as const;

/**
 * Header names (lower case) a target credential's headers can never take on an allowed answer, and
 * that a reader of the answer never takes for a target's: credkit's own, and those that frame or
 * describe the HTTP answer itself (what Node or a proxy may add to any answer).
 */
// biome-ignore format: a dense list reads better
export const reservedAnswerHeaders: readonly string[] = [
  "cache-control", "connection", "content-length", "content-type", "date", "expires", "keep-alive",
  "pragma", "proxy-connection", "server", "te", "trailer", "transfer-encoding", "upgrade", "vary",
  "www-authenticate", "x-credkit-credential-id", "x-credkit-degraded", "x-credkit-target-query",
  "x-credkit-token", "x-request-id",
];

/** How one refusal is answered: its status, an optional message, and the challenge of a 401. */
export interface AuthzRefusalAnswer {
  status: 401 | 403 | 429 | 500 | 503;
  /** Said in the body beside the reason when the reason alone would not tell the operator what to fix. */
  message?: string;
  /** `WWW-Authenticate` (RFC 6750 §3: a presented but invalid credential is `invalid_token`). */
  challenge?: string;
}

/**
 * Every reason an `/authz` request is refused, and how. `authorizeProxyRequest` decides all but two:
 * `PROXY_TOKEN_INVALID` and `RATE_LIMITED` are answered by the HTTP shell before it asks (the proxy's
 * token is HTTP authentication; the throttle runs before any store lookup).
 */
export const authzRefusals = {
  NO_CREDENTIAL: { status: 401, challenge: 'Bearer realm="credkit"' },
  INVALID: { status: 401, challenge: 'Bearer realm="credkit", error="invalid_token"' },
  EXPIRED: {
    status: 401,
    challenge: 'Bearer realm="credkit", error="invalid_token", error_description="expired"',
  },
  PROXY_TOKEN_INVALID: {
    status: 401,
    message: "Missing or unknown X-Credkit-Token (the proxy's own token, scope authz)",
  },
  DENIED: { status: 403 },
  FORBIDDEN: { status: 403, message: "The X-Credkit-Token lacks the authz scope or access to this client" },
  TARGET_NOT_FOUND: { status: 403 },
  REAUTHORIZATION_REQUIRED: { status: 403 },
  TARGET_EXPIRED: { status: 403 },
  RATE_LIMITED: { status: 429, message: "Too many failed attempts from this address; retry later" },
  JWKS_UNAVAILABLE: { status: 503 },
  TARGET_UNAVAILABLE: { status: 503 },
  STORAGE_UNAVAILABLE: { status: 503 },
  INTERNAL: { status: 500 },
} as const satisfies Record<string, AuthzRefusalAnswer>;

/** Why an `/authz` request was refused (see {@link authzRefusals}). */
export type AuthzRefusal = keyof typeof authzRefusals;

/** The JSON body of a refusal: `{allowed:false, reason}`, with the table's message when it has one. */
export function authzRefusalBody(reason: AuthzRefusal): string {
  const answer: AuthzRefusalAnswer = authzRefusals[reason];
  // JSON.stringify leaves an undefined message out.
  return JSON.stringify({ allowed: false, reason, message: answer.message });
}

import { CredkitError } from "../errors.js";
import type { OutboundFetch } from "../outbound/outbound-fetch.js";
import { isHeaderValue } from "../schemas/fields.js";

/** What a token endpoint granted. */
export interface TokenGrant {
  accessToken: string;
  /** Seconds until the access token expires, when the endpoint said. */
  expiresInSeconds?: number;
  /** A new refresh token, when the endpoint issued (or rotated) one. */
  refreshToken?: string;
}

/** The endpoint refused the grant with `invalid_grant` (an expired, revoked or reused code or token). */
export const INVALID_GRANT = "invalid_grant";

/** How the client authenticates to the token endpoint (RFC 6749 §2.3.1). */
export type ClientAuth =
  | { method: "client_secret_basic"; clientId: string; clientSecret: string }
  | { method: "client_secret_post"; clientId: string; clientSecret: string }
  | { method: "none"; clientId: string };

// RFC 6749 §2.3.1: the id and secret are form-urlencoded before they are joined for Basic.
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);

/** Standard OAuth error codes are short snake_case words; anything else is not echoed. */
const oauthErrorCode = (value: unknown) =>
  typeof value === "string" && /^[a-z_]{1,64}$/.test(value) ? value : null;

/**
 * A positive number of seconds from `expires_in`-style values (a number, or a numeric string as some
 * servers send), else undefined.
 */
export function secondsFrom(value: unknown): number | undefined {
  // A blank string is Number("") = 0, refused with every other value that is not positive.
  const seconds = typeof value === "string" ? Number(value) : value;
  return Number.isFinite(seconds) && (seconds as number) > 0 ? (seconds as number) : undefined;
}

/** The upstream class of an HTTP status that is not the success expected: `http_4xx`, `http_5xx`, ... */
export const httpClass = (status: number) => `http_${Math.floor(status / 100)}xx`;

/** An UPSTREAM_ERROR for an answer that is not the JSON a token endpoint sends (`invalid_response`). */
export const invalidResponse = (message: string) =>
  new CredkitError("UPSTREAM_ERROR", message, { upstreamClass: "invalid_response" });

/** Reads a JSON body; a non-JSON answer is an UPSTREAM_ERROR that never quotes the body. */
export async function jsonBody(response: Response, what: string): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    throw invalidResponse(`The ${what} answered ${response.status} with a body that is not JSON`);
  }
}

/**
 * POSTs an OAuth 2.0 token request (form-encoded) through the outbound fetch and reads the grant.
 * Returns {@link INVALID_GRANT} when the endpoint refuses the grant itself; every other failure is an
 * UPSTREAM_ERROR naming the status and the standard error code, never the response body (it may hold
 * tokens) nor anything sent.
 */
export async function requestToken(
  fetch: OutboundFetch,
  tokenUrl: string,
  params: Record<string, string>,
  auth: ClientAuth,
): Promise<TokenGrant | typeof INVALID_GRANT> {
  const form = new URLSearchParams(params);
  const headers: Record<string, string> = {
    accept: "application/json",
    "content-type": "application/x-www-form-urlencoded",
  };
  if (auth.method === "client_secret_basic") {
    const pair = `${formEncode(auth.clientId)}:${formEncode(auth.clientSecret)}`;
    // Stryker disable next-line StringLiteral: Buffer.from reads an empty encoding name as its default, utf8
    headers.authorization = `Basic ${Buffer.from(pair, "utf8").toString("base64")}`;
  } else {
    form.set("client_id", auth.clientId);
    if (auth.method === "client_secret_post") form.set("client_secret", auth.clientSecret);
  }
  const response = await fetch(tokenUrl, { method: "POST", headers, body: form.toString() });
  const body = await jsonBody(response, "token endpoint").catch((error: unknown) => {
    if (response.status === 200) throw error;
    return {};
  });
  const fields = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  if (response.status !== 200) {
    const code = oauthErrorCode(fields.error);
    if (code === INVALID_GRANT) return INVALID_GRANT;
    throw new CredkitError(
      "UPSTREAM_ERROR",
      `The token endpoint answered ${response.status}${code ? ` (${code})` : ""}`,
      { upstreamClass: code ?? httpClass(response.status) },
    );
  }
  return grantFrom(fields);
}

/** The grant in a successful token response; UPSTREAM_ERROR when it carries no access token. */
export function grantFrom(fields: Record<string, unknown>): TokenGrant {
  const accessToken = fields.access_token;
  if (typeof accessToken !== "string" || accessToken === "" || !isHeaderValue(accessToken)) {
    // Stryker disable next-line StringLiteral: only the error message's wording (excluded as a class)
    throw invalidResponse("The token endpoint answered without a usable access_token");
  }
  const grant: TokenGrant = { accessToken };
  const expiresIn = secondsFrom(fields.expires_in);
  if (expiresIn !== undefined) grant.expiresInSeconds = expiresIn;
  if (typeof fields.refresh_token === "string" && fields.refresh_token !== "")
    grant.refreshToken = fields.refresh_token;
  return grant;
}

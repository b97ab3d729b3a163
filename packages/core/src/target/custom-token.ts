import { CredkitError } from "../errors.js";
import type { OutboundFetch } from "../outbound/outbound-fetch.js";
import { isHeaderValue } from "../schemas/fields.js";
import type { SecretOf } from "../schemas/secrets.js";
import { httpClass, invalidResponse, jsonBody, secondsFrom, type TokenGrant } from "./token-endpoint.js";

/** The value at a dot path (`data.token`, `items.0.value`) of parsed JSON, or undefined. */
export function valueAtPath(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split(".")) {
    if (typeof current !== "object" || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Sends a customToken credential's configured request (its method and headers; a string body as is, an
 * object body as JSON) and reads the token at `tokenPath` and its lifetime at `expiresInPath`, falling
 * back to `ttlSeconds`. Errors name the status or the path, never the body.
 */
export async function fetchCustomToken(
  fetch: OutboundFetch,
  secret: SecretOf<"customToken">,
): Promise<TokenGrant> {
  const headers: Record<string, string> = { accept: "application/json", ...secret.headers };
  let body: string | undefined;
  if (secret.method === "POST" && secret.body !== undefined) {
    body = typeof secret.body === "string" ? secret.body : JSON.stringify(secret.body);
    const hasType = Object.keys(headers).some((name) => name.toLowerCase() === "content-type");
    if (typeof secret.body !== "string" && !hasType) headers["content-type"] = "application/json";
  }
  const response = await fetch(secret.tokenUrl, {
    method: secret.method,
    headers,
    // Stryker disable next-line ConditionalExpression: a body of undefined is no body
    ...(body === undefined ? {} : { body }),
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new CredkitError("UPSTREAM_ERROR", `The token endpoint answered ${response.status}`, {
      upstreamClass: httpClass(response.status),
    });
  }
  const parsed = await jsonBody(response, "token endpoint");
  const token = valueAtPath(parsed, secret.tokenPath);
  if (typeof token !== "string" || token === "" || !isHeaderValue(token)) {
    // Stryker disable next-line StringLiteral: only the error message's wording (excluded as a class)
    throw invalidResponse(`The token endpoint's answer has no usable token at "${secret.tokenPath}"`);
  }
  const grant: TokenGrant = { accessToken: token };
  const expiresIn =
    (secret.expiresInPath === undefined
      ? undefined
      : secondsFrom(valueAtPath(parsed, secret.expiresInPath))) ?? secret.ttlSeconds;
  if (expiresIn !== undefined) grant.expiresInSeconds = expiresIn;
  return grant;
}

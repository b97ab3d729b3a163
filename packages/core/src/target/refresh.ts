import type { OutboundFetch } from "../outbound/outbound-fetch.js";
import { type AuthorizationCodeSecret, authorizationCodeClientAuth } from "./authorization-code.js";
import { type INVALID_GRANT, requestToken, type TokenGrant } from "./token-endpoint.js";

/**
 * One refresh-token request. Returns the new grant (its `refreshToken` set when the server rotated it)
 * or `invalid_grant` when the server refused the refresh token: the caller marks the credential as
 * needing re-authorization instead of retrying.
 */
export function refreshAccessToken(
  fetch: OutboundFetch,
  secret: AuthorizationCodeSecret,
  refreshToken: string,
): Promise<TokenGrant | typeof INVALID_GRANT> {
  return requestToken(
    fetch,
    secret.tokenUrl,
    { grant_type: "refresh_token", refresh_token: refreshToken },
    authorizationCodeClientAuth(secret),
  );
}

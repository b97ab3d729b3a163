import { CredkitError } from "../errors.js";
import type { OutboundFetch } from "../outbound/outbound-fetch.js";
import type { SecretOf } from "../schemas/secrets.js";
import { INVALID_GRANT, requestToken, type TokenGrant } from "./token-endpoint.js";

/** A client-credentials oauth2 secret. */
export type ClientCredentialsSecret = SecretOf<"oauth2"> & { grantType: "client_credentials" };

/**
 * One client-credentials token request: `client_secret_basic` (default) or `client_secret_post`, the
 * scopes space-joined in `scope`, and `audience` when set (the parameter Auth0 and others read).
 */
export async function fetchClientCredentialsToken(
  fetch: OutboundFetch,
  secret: ClientCredentialsSecret,
): Promise<TokenGrant> {
  const params: Record<string, string> = { grant_type: "client_credentials" };
  if (secret.scopes && secret.scopes.length > 0) params.scope = secret.scopes.join(" ");
  if (secret.audience !== undefined) params.audience = secret.audience;
  const grant = await requestToken(fetch, secret.tokenUrl, params, {
    method: secret.tokenEndpointAuthMethod,
    clientId: secret.clientId,
    clientSecret: secret.clientSecret,
  });
  if (grant === INVALID_GRANT) {
    throw new CredkitError(
      "UPSTREAM_ERROR",
      "The token endpoint refused the client credentials (invalid_grant)",
      { upstreamClass: INVALID_GRANT },
    );
  }
  return grant;
}

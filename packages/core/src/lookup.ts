import type { AuthType, CredentialType } from "./record.js";

/**
 * The value a proxy credential is found by, as the proxy will see it on an incoming request, or null
 * for target credentials. The prefix keeps the kinds apart; bearer and jwt share one because both
 * arrive as `Authorization: Bearer <token>`. Header names are case-insensitive, so the apiKey header
 * name is lower-cased. A jwtVerify credential is found by its issuer (so one per issuer and client).
 */
export function lookupValueOf(
  credentialType: CredentialType,
  authType: AuthType,
  secret: unknown,
): string | null {
  if (credentialType !== "proxy") return null;
  const s = secret as Record<string, string>;
  switch (authType) {
    case "apiKey":
      return apiKeyLookupValue(s.keyName ?? "", s.keyValue ?? "");
    case "bearer":
    case "jwt":
      return bearerLookupValue(s.token ?? "");
    case "basicAuth":
      return basicLookupValue(s.username ?? "", s.password ?? "");
    case "jwtVerify":
      return jwtIssuerLookupValue(s.issuer ?? "");
    default:
      return null;
  }
}

/** Lookup value of an API key presented in header `headerName`. */
export function apiKeyLookupValue(headerName: string, value: string): string {
  return lowerCaseApiKeyLookupValue(headerName.toLowerCase(), value);
}

/**
 * {@link apiKeyLookupValue} of a header name already lower-cased (the verifier reads names once per
 * process, see `presented.ts`): lower-casing it again on every request was measurable.
 */
export function lowerCaseApiKeyLookupValue(lowerCaseName: string, value: string): string {
  return `apiKey\n${lowerCaseName}\n${value}`;
}

/** Lookup value of a bearer token (bearer and jwt credentials). */
export function bearerLookupValue(token: string): string {
  return `bearer\n${token}`;
}

/** Lookup value of a jwtVerify credential: the issuer its tokens carry in `iss`. */
export function jwtIssuerLookupValue(issuer: string): string {
  return `jwtVerify\n${issuer}`;
}

/** Lookup value of Basic credentials. */
export function basicLookupValue(username: string, password: string): string {
  return `basic\n${username}\n${password}`;
}

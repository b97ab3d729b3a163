import { CredkitError } from "../errors.js";
import type { AuthType } from "../record.js";
import type { OpenedSecret } from "../records/records.js";
import type { TargetAuth } from "../schemas/bodies.js";

/** Auth types whose outbound auth is a fixed function of the secret (no token to fetch). */
export const staticTargetAuthTypes = ["apiKey", "bearer", "jwt", "basicAuth", "custom", "none"] as const;
/** One of {@link staticTargetAuthTypes}. */
export type StaticTargetAuthType = (typeof staticTargetAuthTypes)[number];

/** True when `authType` needs no token request. */
export function isStaticTargetAuthType(authType: AuthType): authType is StaticTargetAuthType {
  return (staticTargetAuthTypes as readonly string[]).includes(authType);
}

/** `Authorization: Bearer <token>`, the header every token-based type ends up sending. */
export function bearerHeader(token: string): TargetAuth {
  return { headers: { Authorization: `Bearer ${token}` }, query: {} };
}

/**
 * The headers and query a static target credential adds to an outbound request: apiKey → its
 * `keyName` header, bearer/jwt → `Authorization: Bearer`, basicAuth → `Authorization: Basic
 * base64(user:pass)`, custom → its headers and query, none → nothing. Always fresh objects.
 */
export function staticTargetAuth(opened: OpenedSecret): TargetAuth {
  switch (opened.authType) {
    case "apiKey": {
      const { keyName, keyValue } = opened.secret;
      return { headers: { [keyName]: keyValue }, query: {} };
    }
    case "bearer":
    case "jwt":
      return bearerHeader(opened.secret.token);
    case "basicAuth": {
      const { username, password } = opened.secret;
      const encoded = Buffer.from(`${username}:${password}`).toString("base64");
      return { headers: { Authorization: `Basic ${encoded}` }, query: {} };
    }
    case "custom": {
      const { headers, query } = opened.secret;
      return { headers: { ...headers }, query: { ...query } };
    }
    case "none":
      return { headers: {}, query: {} };
    default:
      throw new CredkitError("INTERNAL", `${opened.authType} is not a static target auth type`);
  }
}

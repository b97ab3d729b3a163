import { CredkitError } from "./errors.js";
import { unverifiableProxySecret } from "./proxy/presented.js";
import { weakProxySecret } from "./proxy/secret-strength.js";
import type { CredentialType, StoredCredential } from "./record.js";
import { createCredentialBody, updateCredentialBody } from "./schemas/bodies.js";
import { invalid, parseOrThrow, parseWalked } from "./schemas/parse.js";
import { allowedAuthTypes, type Secret, secretSchemas } from "./schemas/secrets.js";

// The service's checks of what a caller sends (create and update bodies, If-Match), beside service.ts.

/**
 * The secret's shape for its auth type; for a proxy credential, also one that can ever verify and is
 * at least `minProxySecretLength` characters long where a caller presents it. `secret` is part of a
 * body {@link parseCreateBody} or {@link parseUpdateBody} has walked (bounds, `__proto__` keys): only
 * its schema runs here.
 */
export function parseSecret(
  authType: keyof typeof secretSchemas,
  secret: unknown,
  credentialType: CredentialType,
  minProxySecretLength: number,
): Secret {
  if (secret === undefined && authType !== "none")
    throw invalid([{ path: "secret", message: "is required" }]);
  const parsed = parseWalked(secretSchemas[authType], secret ?? {}, ["secret"]) as Secret;
  if (credentialType === "proxy") {
    const errors = [
      unverifiableProxySecret(authType, parsed),
      weakProxySecret(authType, parsed, minProxySecretLength),
    ].filter((error) => error !== null);
    if (errors.length > 0) throw invalid(errors);
  }
  return parsed;
}

/** The create body, checked: an auth type its credential type allows, and its secret's shape. */
export function parseCreateBody(body: unknown, minProxySecretLength: number) {
  const input = parseOrThrow(createCredentialBody, body);
  const allowed: readonly string[] = allowedAuthTypes[input.credentialType];
  if (!allowed.includes(input.authType)) {
    throw invalid([
      {
        path: "authType",
        message: `"${input.authType}" is not allowed for ${input.credentialType} credentials; allowed: ${allowed.join(", ")}`,
      },
    ]);
  }
  return {
    input,
    secret: parseSecret(input.authType, input.secret, input.credentialType, minProxySecretLength),
  };
}

/** The update body, checked: at least one field to change. */
export function parseUpdateBody(body: unknown) {
  const input = parseOrThrow(updateCredentialBody, body);
  if (Object.values(input).every((value) => value === undefined)) {
    throw invalid([
      {
        path: "body",
        message:
          "name at least one of credentialName, secret, credentialDefaultRuleEffect, singleUse, expiresAt",
      },
    ]);
  }
  return input;
}

/**
 * A body's `expiresAt` as epoch milliseconds: undefined when absent (nothing changes), null when it
 * clears the lifetime (updates only), else an instant that must be after `now` (VALIDATION_ERROR naming
 * `expiresAt` otherwise: a credential cannot be born expired). The schema has checked the format.
 */
export function parseExpiresAt(value: string | null | undefined, now: number): number | null | undefined {
  if (value === undefined || value === null) return value;
  const at = Date.parse(value);
  if (!(at > now)) throw invalid([{ path: "expiresAt", message: "must be in the future" }]);
  return at;
}

/** VALIDATION_ERROR naming each immutable field the update tries to change. */
export function assertImmutableKept(
  input: ReturnType<typeof parseUpdateBody>,
  record: StoredCredential,
): void {
  const changed = (["credentialType", "authType", "region"] as const).filter(
    (field) => input[field] !== undefined && input[field] !== record[field],
  );
  if (changed.length > 0) {
    throw invalid(
      changed.map((path) => ({ path, message: "cannot be changed; create a new credential instead" })),
    );
  }
}

/** VERSION_CONFLICT unless an If-Match update still sees the version it names. */
export function assertIfMatch(ifMatch: number | undefined, record: StoredCredential): void {
  if (ifMatch !== undefined && ifMatch !== record.version) {
    throw new CredkitError(
      "VERSION_CONFLICT",
      `The credential is at version ${record.version}, not ${ifMatch}`,
    );
  }
}

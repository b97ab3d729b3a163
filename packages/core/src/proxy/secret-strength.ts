import type { FieldError } from "../errors.js";

/** The default minimum length of a proxy credential's presented secret (see {@link weakProxySecret}). */
export const DEFAULT_MIN_PROXY_SECRET_LENGTH = 16;

// The field of each guessable proxy secret that a caller presents: the value an attacker must guess.
// jwtVerify is absent: it checks a signature, not a stored value.
const presentedField: Record<string, string> = {
  apiKey: "keyValue",
  bearer: "token",
  jwt: "token",
  basicAuth: "password",
};

/**
 * The field error of a proxy secret shorter than `minLength` characters, or null. A proxy secret is
 * found by its exact value, so its length is all that stands between it and a caller that guesses
 * (a 2-character key fell to 1,663 guesses); target secrets are another service's, not checked.
 */
export function weakProxySecret(authType: string, secret: unknown, minLength: number): FieldError | null {
  const field = presentedField[authType];
  // Stryker disable next-line ConditionalExpression: without it, `secret[undefined]` is no string either: null
  if (field === undefined) return null;
  const value = (secret as Record<string, unknown>)[field];
  if (typeof value !== "string" || value.length >= minLength) return null;
  return {
    path: `secret.${field}`,
    message: `must be at least ${minLength} characters for a proxy credential (a short value can be guessed)`,
  };
}

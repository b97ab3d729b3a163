import { CredkitError } from "../errors.js";
import { regionOfCredentialId } from "../ids.js";
import type { StoredCredential } from "../record.js";

/** The NOT_FOUND every operation answers for a missing (or expired, or foreign) credential. */
export function notFound(credentialId: string): CredkitError {
  // Only a well-formed id is echoed: a path segment of any length and content is not.
  const shown =
    credentialId.length <= 128 && regionOfCredentialId(credentialId) !== null ? `"${credentialId}" ` : "";
  return new CredkitError("NOT_FOUND", `Credential ${shown}was not found for this client`);
}

/** CONFLICT for a proxy credential whose secret (or jwtVerify issuer) another one of the client has. */
export function duplicateLookup(record: StoredCredential, cause?: unknown): CredkitError {
  const message =
    record.authType === "jwtVerify"
      ? "This client already has a jwtVerify credential for this issuer"
      : "This client already has a proxy credential with the same secret";
  return new CredkitError("CONFLICT", message, { cause }); // CredkitError drops an undefined cause
}

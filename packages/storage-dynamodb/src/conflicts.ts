import { CredkitError } from "@credkit/core";

/** CONFLICT: the credential id is taken by a live record. */
export function idTaken(): CredkitError {
  return new CredkitError("CONFLICT", "A credential with this id already exists");
}

/** CONFLICT: another live credential of the client holds the lookup hash. */
export function lookupTaken(): CredkitError {
  return new CredkitError("CONFLICT", "Another credential of this client already uses this secret");
}

/** VERSION_CONFLICT: the stored version is not the one the caller expected. */
export function versionConflict(expected: number, actual: number): CredkitError {
  return new CredkitError(
    "VERSION_CONFLICT",
    `The credential changed: expected version ${expected}, found ${actual}`,
  );
}

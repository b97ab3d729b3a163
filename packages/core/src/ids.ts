import { pooledRandomBytes } from "./crypto/random-pool.js";

/** A region name: lowercase letters and digits in dash-separated words (at most 32 characters). */
export const regionPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** A client id: 1–128 of `A-Z a-z 0-9 . _ : @ -`, starting with a letter or digit. */
export const clientIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const CREDENTIAL_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*\.[A-Za-z0-9_-]{22}$/;

/** True for a region name: lowercase letters and digits in dash-separated words, at most 32 characters. */
export function isValidRegionName(region: string): boolean {
  return region.length <= 32 && regionPattern.test(region);
}

/** True for a client id: 1–128 of `A-Z a-z 0-9 . _ : @ -`, starting with a letter or digit. */
export function isValidClientId(clientId: string): boolean {
  return clientIdPattern.test(clientId);
}

/**
 * A new credential id: `<region>.<22 base64url chars>` (128 random bits), e.g.
 * `eu-west-1.q1Xo2cV9aJ3m0Zr7TnB4wA`. The region prefix lets get/update/delete go straight to the one
 * store that holds the credential.
 */
export function newCredentialId(region: string): string {
  return `${region}.${pooledRandomBytes(16).toString("base64url")}`;
}

/** The region a credential id names, or null when the id is not of credkit's form. */
export function regionOfCredentialId(credentialId: string): string | null {
  // `test` and a slice, not `exec`: no match array per call (every get, update and delete parses one).
  return CREDENTIAL_ID.test(credentialId) ? credentialId.slice(0, credentialId.indexOf(".")) : null;
}

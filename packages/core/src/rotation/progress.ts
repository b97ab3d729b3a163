import type { ErrorCode } from "../errors.js";

/** Running totals of a re-encryption run. */
export interface ReencryptionCounts {
  /** Records the scan returned (a record may be returned twice by a store's scan; it is skipped then). */
  scanned: number;
  /** Records re-sealed under the active key and written back. */
  reencrypted: number;
  /** Records already under the active key, or deleted/expired before they could be written. */
  skipped: number;
  /** Records that could not be re-encrypted (see {@link ReencryptionFailure}); the job went on. */
  failed: number;
}

/** A record re-encryption could not handle: ids and an error code, never secret material. */
export interface ReencryptionFailure {
  clientId: string;
  credentialId: string;
  code: ErrorCode;
  message: string;
}

/** Zeroed counts. */
export function emptyCounts(): ReencryptionCounts {
  return { scanned: 0, reencrypted: 0, skipped: 0, failed: 0 };
}

/** `a + b`, field by field. */
export function addCounts(a: ReencryptionCounts, b: ReencryptionCounts): ReencryptionCounts {
  return {
    scanned: a.scanned + b.scanned,
    reencrypted: a.reencrypted + b.reencrypted,
    skipped: a.skipped + b.skipped,
    failed: a.failed + b.failed,
  };
}

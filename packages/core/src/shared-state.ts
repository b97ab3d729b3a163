// The state server processes share beside the credentials (idempotency keys, rate-limit counters).
// The interfaces live here so that the HTTP layer that uses them and the adapters that implement them
// (Redis in the server, DynamoDB in its store package) meet on one definition.

/** What is kept for an `Idempotency-Key`: the request's fingerprint and, once done, what it created. */
export interface IdempotencyEntry {
  fingerprint: string;
  /** Absent while the first request is still running. */
  credentialId?: string;
  /** What the answer carried beside the credential (an `authorizationUrl`), sealed: it holds a state. */
  sealedExtra?: string;
}

/** A claim on an `Idempotency-Key`: whose it is, for which request, and how long it may stay in progress. */
export interface IdempotencyClaim {
  /** The keyed fingerprint of the request body. */
  fingerprint: string;
  /** A random token of the request holding the claim: only it may complete or release the claim. */
  owner: string;
  /**
   * Milliseconds the claim stays "in progress". Past that a request that never finished (its process
   * died) no longer blocks the key: the next claim takes it over. Much shorter than the record's TTL.
   */
  inProgressMs: number;
}

/**
 * Where idempotency keys live (per process, or shared through Redis or DynamoDB by the server). Keys
 * arrive already hashed and scoped; entries hold no secret. Every method is atomic on its key.
 */
export interface IdempotencyStore {
  /**
   * Claims `key` if it is free: no entry, or an entry whose time ran out (an in-progress claim past
   * its `inProgressMs`, a completed one past its TTL). Returns null when this caller now holds it,
   * else the entry held. Of concurrent claimers exactly one receives null.
   */
  claim(key: string, claim: IdempotencyClaim): Promise<IdempotencyEntry | null>;
  /**
   * Records what the claim created, kept `ttlMs` from now, only while `owner` still holds its
   * in-progress claim (not expired, not taken over). Returns false, writing nothing, when it does not.
   */
  complete(key: string, owner: string, entry: IdempotencyEntry, ttlMs: number): Promise<boolean>;
  /** Frees a claim whose request failed, so a retry runs again; does nothing unless `owner` holds it. */
  release(key: string, owner: string): Promise<void>;
}

/** A fixed-window counter shared by every process of a deployment (or local to one). */
export interface SharedCounter {
  /**
   * Adds one to `key` in its current window (a window starts at the first hit after the last one
   * ended and lasts `windowMs`); the count so far and the milliseconds until the window resets.
   * Atomic: N concurrent hits in one window return the counts 1..N, each once.
   */
  hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }>;
}

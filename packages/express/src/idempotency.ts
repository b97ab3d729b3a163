import { createHash } from "node:crypto";
import { CredkitError, invalid } from "@credkit/core";

/** What is kept for an `Idempotency-Key`: the request's fingerprint and, once done, what it created. */
export interface IdempotencyEntry {
  fingerprint: string;
  /** Absent while the first request is still running. */
  credentialId?: string;
}

/**
 * Where idempotency keys live (per process, or shared through Redis by the server). Keys arrive
 * already hashed and scoped; entries hold no secret.
 */
export interface IdempotencyStore {
  /** Claims `key` for `fingerprint` for `ttlMs` if it is free (null), else returns who holds it. */
  claim(key: string, fingerprint: string, ttlMs: number): Promise<IdempotencyEntry | null>;
  /** Records what the claim created, kept `ttlMs` from now. */
  complete(key: string, entry: IdempotencyEntry, ttlMs: number): Promise<void>;
  /** Frees a claim whose request failed, so a retry runs again. */
  release(key: string): Promise<void>;
}

/** An idempotency store for one process. */
export function memoryIdempotencyStore(now: () => number = Date.now): IdempotencyStore {
  const entries = new Map<string, { entry: IdempotencyEntry; expiresAt: number }>();
  const sweep = () => {
    const at = now();
    for (const [key, held] of entries) if (held.expiresAt <= at) entries.delete(key);
  };
  return {
    async claim(key, fingerprint, ttlMs) {
      sweep();
      const held = entries.get(key);
      if (held) return held.entry;
      entries.set(key, { entry: { fingerprint }, expiresAt: now() + ttlMs });
      return null;
    },
    async complete(key, entry, ttlMs) {
      entries.set(key, { entry, expiresAt: now() + ttlMs });
    },
    async release(key) {
      entries.delete(key);
    },
  };
}

const KEY = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted, so the same body always has the same fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("base64url");

/**
 * Runs a create at most once per `Idempotency-Key`, scoped to the client and the caller's token: a
 * retry with the same key and body gets the credential the first request created (looked up again, so
 * nothing but its id is kept), a reuse with another body gets 409, and a retry while the first is still
 * running gets 409 too. A failed create frees the key.
 */
export async function idempotentCreate(options: {
  store: IdempotencyStore;
  ttlMs: number;
  key: string;
  scope: string;
  body: unknown;
  create: () => Promise<{ credentialId: string }>;
  replay: (credentialId: string) => Promise<unknown>;
}): Promise<{ replayed: boolean; result: unknown }> {
  if (!KEY.test(options.key)) {
    throw invalid([{ path: "Idempotency-Key", message: "must be 1-255 visible ASCII characters" }]);
  }
  const key = sha256(`${options.scope}\n${options.key}`);
  const fingerprint = sha256(canonical(options.body));
  const held = await options.store.claim(key, fingerprint, options.ttlMs);
  if (held) {
    if (held.fingerprint !== fingerprint) {
      throw new CredkitError(
        "CONFLICT",
        "This Idempotency-Key was already used with a different request body",
      );
    }
    if (held.credentialId === undefined) {
      throw new CredkitError(
        "CONFLICT",
        "A request with this Idempotency-Key is still in progress; retry shortly",
        {
          retryAfterSeconds: 1,
        },
      );
    }
    return { replayed: true, result: await options.replay(held.credentialId) };
  }
  try {
    const result = await options.create();
    await options.store.complete(key, { fingerprint, credentialId: result.credentialId }, options.ttlMs);
    return { replayed: false, result };
  } catch (error) {
    await options.store.release(key);
    throw error;
  }
}

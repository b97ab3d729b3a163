import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import {
  BoundedMap,
  CredkitError,
  type IdempotencyEntry,
  type IdempotencyStore,
  invalid,
} from "@credkit/core";

/**
 * How idempotency state is protected at rest: fingerprints and keys are keyed hashes (a body holds a
 * secret; an unkeyed hash of it would let a guess be confirmed offline), and what must be replayed
 * verbatim is sealed. Processes sharing a store must share these keys (the server uses its keyring).
 */
export interface IdempotencyProtection {
  /** A keyed hash (e.g. HMAC-SHA256) of `text`. */
  hash(text: string): string;
  /** Encrypts `text`, bound to the (hashed) idempotency `key`. */
  seal(text: string, key: string): string;
  /** Decrypts what {@link seal} made for the same `key`; throws if it was tampered with. */
  open(sealed: string, key: string): string;
}

/** Protection under a random key of this process: enough for a per-process store. */
export function processIdempotencyProtection(): IdempotencyProtection {
  const hashKey = randomBytes(32);
  const sealKey = randomBytes(32);
  return {
    hash: (text) => createHmac("sha256", hashKey).update(text, "utf8").digest("base64url"),
    seal(text, key) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", sealKey, iv).setAAD(Buffer.from(key, "utf8"));
      const body = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
      return [iv, body, cipher.getAuthTag()].map((b) => b.toString("base64url")).join(".");
    },
    open(sealed, key) {
      const [iv = "", body = "", tag = ""] = sealed.split(".");
      const decipher = createDecipheriv("aes-256-gcm", sealKey, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(key, "utf8")).setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString(
        "utf8",
      );
    },
  };
}

/**
 * An idempotency store for one process, holding at most `maxEntries` keys (default 100,000): past that
 * the oldest key is forgotten first (a retry of it would create again), so memory stays bounded
 * whatever callers send.
 */
export function memoryIdempotencyStore(now: () => number = Date.now, maxEntries = 100_000): IdempotencyStore {
  const entries = new BoundedMap<string, { entry: IdempotencyEntry; owner?: string; expiresAt: number }>(
    maxEntries,
  );
  // Every write moves its key to the end; the sweep drops lapsed entries from the front and stops at
  // the first live one (claims expire sooner than completed entries, so a few lapsed ones may wait for
  // a later sweep: an expired entry is never answered, only kept a little longer).
  const sweep = () => {
    const at = now();
    for (const [key, held] of entries.entries()) {
      if (held.expiresAt > at) break;
      entries.delete(key);
    }
  };
  const put = (key: string, held: { entry: IdempotencyEntry; owner?: string; expiresAt: number }) => {
    entries.set(key, held);
  };
  const holds = (key: string, owner: string) => {
    const held = entries.get(key);
    return held !== undefined && held.owner === owner && held.expiresAt > now();
  };
  return {
    async claim(key, { fingerprint, owner, inProgressMs }) {
      sweep();
      const held = entries.get(key);
      if (held && held.expiresAt > now()) return held.entry;
      put(key, { entry: { fingerprint }, owner, expiresAt: now() + inProgressMs });
      return null;
    },
    async complete(key, owner, entry, ttlMs) {
      if (!holds(key, owner)) return false;
      put(key, { entry, expiresAt: now() + ttlMs });
      return true;
    },
    async release(key, owner) {
      if (holds(key, owner)) entries.delete(key);
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

/** A created credential and what its answer carried beside it. */
interface Created {
  credentialId: string;
  authorizationUrl?: string;
}

/**
 * Runs a create at most once per `Idempotency-Key`, scoped to the client and the authenticated caller:
 * a retry with the same key and body gets exactly the answer the first request got (the credential
 * looked up again, its `authorizationUrl` kept sealed), a reuse with another body gets 409, and a retry
 * while the first is still running gets 409 too. A failed create frees the key. Nothing is kept but
 * keyed hashes, the credential id and the sealed extra.
 */
export async function idempotentCreate(options: {
  store: IdempotencyStore;
  protection: IdempotencyProtection;
  /** How long a completed key is remembered. */
  ttlMs: number;
  /** How long a claim may stay in progress before another request may take the key over. */
  inProgressMs: number;
  key: string;
  /** Who is asking (a stable caller identity) and for which client. */
  scope: string;
  body: unknown;
  create: () => Promise<Created>;
  replay: (credentialId: string) => Promise<object>;
}): Promise<{ replayed: boolean; result: unknown }> {
  if (!KEY.test(options.key)) {
    throw invalid([{ path: "Idempotency-Key", message: "must be 1-255 visible ASCII characters" }]);
  }
  const { protection } = options;
  const key = protection.hash(`idempotency-key\n${options.scope}\n${options.key}`);
  const fingerprint = protection.hash(`idempotency-body\n${canonical(options.body)}`);
  const owner = randomBytes(16).toString("base64url");
  const held = await options.store.claim(key, { fingerprint, owner, inProgressMs: options.inProgressMs });
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
    const current = await options.replay(held.credentialId);
    const extra = held.sealedExtra === undefined ? {} : JSON.parse(protection.open(held.sealedExtra, key));
    return { replayed: true, result: { ...current, ...extra } };
  }
  let result: Created;
  try {
    result = await options.create();
  } catch (error) {
    // The create's own error is the answer; a release that fails too leaves the claim to its expiry.
    await options.store.release(key, owner).catch(() => undefined);
    throw error;
  }
  const extra = result.authorizationUrl === undefined ? {} : { authorizationUrl: result.authorizationUrl };
  const sealedExtra =
    result.authorizationUrl === undefined ? undefined : protection.seal(JSON.stringify(extra), key);
  // False when this request outlived its in-progress bound and another took the key over: the
  // credential was still created, so it is the answer; the key's record stays the other request's.
  await options.store.complete(
    key,
    owner,
    { fingerprint, credentialId: result.credentialId, ...(sealedExtra === undefined ? {} : { sealedExtra }) },
    options.ttlMs,
  );
  return { replayed: false, result };
}

import {
  createHash,
  createHmac,
  createSecretKey,
  hash,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { CredkitError } from "../errors.js";
import { isValidKeyId, openEnvelope, parseEnvelope, type RecordIdentity, sealEnvelope } from "./envelope.js";

/** One master key: an id (written into every envelope it seals) and 32 bytes of key material. */
export interface MasterKey {
  id: string;
  key: Uint8Array;
}

/** The keys a keyring is made of: all of them can decrypt, the active one encrypts. */
export interface KeyringMaterial {
  activeKeyId: string;
  keys: readonly MasterKey[];
}

/**
 * Where master keys come from. Implement it to plug in a KMS (unwrap data keys at `load`); callers only
 * ever see the {@link Keyring} made from it.
 */
export interface KeySource {
  load(): Promise<KeyringMaterial>;
}

/** Encrypts and decrypts secrets and computes lookup hashes; the only holder of key material. */
export interface Keyring {
  /** The key id new envelopes are sealed with. */
  readonly activeKeyId: string;
  /** Every key id this keyring can open, active first. */
  readonly keyIds: readonly string[];
  /** Seals `plaintext` under the active key, bound to `identity` (see `sealEnvelope`). */
  encrypt(plaintext: string, identity: RecordIdentity): string;
  /** Opens an envelope with the key its id names; UNKNOWN_KEY if that key is not here. */
  decrypt(envelope: string, identity: RecordIdentity): string;
  /** The key id an envelope was sealed with. */
  keyIdOf(envelope: string): string;
  /** Keyed hash (`<keyId>.<HMAC-SHA256 base64url>`) of a presented value under the active key. */
  lookupHash(value: string): string;
  /** The lookup hashes of `value` under every key, active first (finds records not yet rotated). */
  lookupHashes(value: string): string[];
}

const KEY_BYTES = 32;

interface DerivedKey {
  id: string;
  encryption: KeyObject;
  /** HMAC-SHA256 of a string under the lookup subkey, base64url (see {@link lookupMac}). */
  lookup: (value: string) => string;
}

/** SHA-256's block: HMAC pads its key to this many bytes. */
const BLOCK_BYTES = 64;
/** A value of up to this many UTF-16 units fits the scratch buffer (3 UTF-8 bytes each at most). */
// Stryker disable next-line ArithmeticOperator: a smaller bound sends more values to createHmac, which gives the same hash (a cost, not a result)
const SCRATCH_UNITS = 16 * 1024;
// Where the inner hash's input is assembled; shared by every key (each call runs to completion).
// Stryker disable next-line ArithmeticOperator: a negative size throws while the module loads, which Stryker's vitest runner counts as survived (docs/development.md)
const scratch = Buffer.alloc(BLOCK_BYTES + 3 * SCRATCH_UNITS);

/**
 * HMAC-SHA256 under `key` (at most one block long), as RFC 2104 defines it and `createHmac` computes
 * it: SHA-256 of the outer pad and SHA-256 of the inner pad followed by the value (UTF-8). Two one-shot
 * hashes over pads computed once cost about half of a `createHmac` object per value, which every proxy
 * verification pays for each value it looks up (bench/verify.ts, bench/authz.ts). Values too long for
 * the scratch buffer take `createHmac`; the known answers and the comparison with `createHmac`
 * (crypto.test.ts) pin that both give the same hash.
 */
function lookupMac(key: Buffer): (value: string) => string {
  const inner = Buffer.alloc(BLOCK_BYTES, 0x36);
  // The outer hash's input: its pad, then the inner hash.
  const outer = Buffer.alloc(BLOCK_BYTES + 32, 0x5c);
  key.forEach((byte, i) => {
    inner[i] = 0x36 ^ byte;
    outer[i] = 0x5c ^ byte;
  });
  return (value) => {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: both ways give the same hash (the test compares them past the bound); this picks the cheaper one
    if (value.length > SCRATCH_UNITS) return createHmac("sha256", key).update(value).digest("base64url");
    inner.copy(scratch, 0);
    const end = BLOCK_BYTES + scratch.write(value, BLOCK_BYTES);
    // Latin-1 ("binary") carries the 32 digest bytes through a string unchanged, and no Buffer is made.
    outer.write(hash("sha256", scratch.subarray(0, end), "binary"), BLOCK_BYTES, "binary");
    // The value may be a secret: it does not stay in the scratch buffer.
    scratch.fill(0, BLOCK_BYTES, end);
    return hash("sha256", outer, "base64url");
  };
}

function derive(master: MasterKey): DerivedKey {
  if (!isValidKeyId(master.id)) {
    throw new CredkitError(
      "CONFIGURATION_ERROR",
      `Key id "${master.id}" is invalid: use 1-64 of A-Z a-z 0-9 _ -`,
    );
  }
  if (master.key.length !== KEY_BYTES) {
    throw new CredkitError(
      "CONFIGURATION_ERROR",
      `Key "${master.id}" is ${master.key.length} bytes; AES-256 needs exactly ${KEY_BYTES}`,
    );
  }
  // Separate subkeys per purpose, so the encryption key never doubles as an HMAC key.
  const sub = (info: string) => Buffer.from(hkdfSync("sha256", master.key, Buffer.alloc(0), info, KEY_BYTES));
  return {
    id: master.id,
    encryption: createSecretKey(sub("credkit/encrypt/v1")),
    lookup: lookupMac(sub("credkit/lookup/v1")),
  };
}

/** Builds a keyring from key material, checking key ids, lengths and that the active key is present. */
export function createKeyring(material: KeyringMaterial): Keyring {
  if (material.keys.length === 0) throw new CredkitError("CONFIGURATION_ERROR", "The keyring has no keys");
  const keys = new Map<string, DerivedKey>();
  for (const master of material.keys) {
    if (keys.has(master.id))
      throw new CredkitError("CONFIGURATION_ERROR", `Key id "${master.id}" appears twice`);
    keys.set(master.id, derive(master));
  }
  const active = keys.get(material.activeKeyId);
  if (!active) {
    throw new CredkitError(
      "CONFIGURATION_ERROR",
      `The active key id "${material.activeKeyId}" is not in the keyring`,
    );
  }
  const ordered = [active, ...[...keys.values()].filter((k) => k !== active)];
  const keyFor = (envelope: string) => {
    const { keyId } = parseEnvelope(envelope);
    const key = keys.get(keyId);
    if (!key) {
      throw new CredkitError(
        "UNKNOWN_KEY",
        `The secret was sealed with key id "${keyId}", which is not in the keyring`,
      );
    }
    return key;
  };
  // A string is hashed as UTF-8 (update's default for strings; pinned by the known-answer tests).
  const lookupHashOf = (key: DerivedKey, value: string) => `${key.id}.${key.lookup(value)}`;

  return {
    activeKeyId: active.id,
    keyIds: ordered.map((k) => k.id),
    encrypt: (plaintext, identity) => sealEnvelope(active.encryption, active.id, plaintext, identity),
    decrypt: (envelope, identity) => openEnvelope(keyFor(envelope).encryption, envelope, identity),
    keyIdOf: (envelope) => parseEnvelope(envelope).keyId,
    lookupHash: (value) => lookupHashOf(active, value),
    lookupHashes: (value) => ordered.map((key) => lookupHashOf(key, value)),
  };
}

/** Loads key material from a {@link KeySource} and builds the keyring. */
export async function loadKeyring(source: KeySource): Promise<Keyring> {
  return createKeyring(await source.load());
}

/** A key source over keys already in memory (configuration, tests). */
export function staticKeySource(material: KeyringMaterial): KeySource {
  return { load: async () => material };
}

/** A stable id for a key given without one: `k` + 10 base64url chars of its SHA-256 (not reversible). */
export function keyIdFor(key: Uint8Array): string {
  return `k${createHash("sha256").update("credkit key id").update(key).digest("base64url").slice(0, 10)}`;
}

/** Decodes a base64 (or base64url) master key, insisting on exactly 32 bytes. */
export function decodeMasterKey(encoded: string, label = "the master key"): Uint8Array {
  const trimmed = encoded.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    throw new CredkitError("CONFIGURATION_ERROR", `${label} is not base64`);
  }
  // Node's base64 decoder reads the base64url alphabet too: one decoder for both spellings.
  const key = Buffer.from(trimmed, "base64");
  if (key.length !== KEY_BYTES) {
    throw new CredkitError(
      "CONFIGURATION_ERROR",
      `${label} decodes to ${key.length} bytes; it must be base64 of exactly ${KEY_BYTES} bytes (make one with \`credkit keygen\` or \`openssl rand -base64 32\`)`,
    );
  }
  return key;
}

/** A fresh random master key, base64-encoded, with its derived id. */
export function generateMasterKey(): { id: string; key: string } {
  const key = randomBytes(KEY_BYTES);
  return { id: keyIdFor(key), key: key.toString("base64") };
}

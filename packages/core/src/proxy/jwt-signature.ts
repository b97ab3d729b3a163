import {
  constants,
  createHmac,
  KeyObject,
  verify as nodeVerify,
  timingSafeEqual,
  type webcrypto,
} from "node:crypto";
import { base64url, importJWK, type JWK, type JWTPayload } from "jose";

/**
 * A JWT's structure and signature check (compact JWS), jose's rules with node:crypto doing the
 * signature. jose checks signatures through WebCrypto, whose per-call JavaScript (algorithm
 * normalisation, key checks, four promise hops) costs more main-thread time than the check itself for
 * RS256; `node:crypto.verify` with a KeyObject runs the same OpenSSL check on the thread pool for a
 * fraction of it (bench/verify.ts, jwtVerify rows). jose still decodes the parts, imports JWKs and
 * decides what a key is; the rules it applied in `jwtVerify` that are not claims are here, in its order.
 */

/** The JWS protected header, as far as the check reads it. */
export interface JwsHeader {
  alg?: unknown;
  kid?: unknown;
  crit?: unknown;
  b64?: unknown;
  [name: string]: unknown;
}

/** The verification key for a header (the JWKS cache's resolver), or the shared secret. */
export type JwtKey = Uint8Array | ((header: JwsHeader & { alg: string }) => Promise<KeyObject>);

/** A token that is not a well-formed, correctly signed JWT (every such case is one refusal). */
export class JwtSignatureError extends Error {
  override readonly name = "JwtSignatureError";
}

interface Algorithm {
  /** Digest for node:crypto (`null`: EdDSA hashes internally). */
  hash: string | null;
  /** How the signature is made: HMAC with the shared secret, or with a public key of that family. */
  scheme: "hmac" | "rsa" | "ecdsa" | "eddsa";
  /** RSA-PSS (PS*): the salt is as long as the digest. */
  saltLength?: number;
}

// The algorithms credkit's schema allows (schemas/secrets.ts), as node:crypto runs them.
const ALGORITHMS = new Map<string, Algorithm>(
  Object.entries({
    HS256: { hash: "sha256", scheme: "hmac" },
    HS384: { hash: "sha384", scheme: "hmac" },
    HS512: { hash: "sha512", scheme: "hmac" },
    RS256: { hash: "sha256", scheme: "rsa" },
    RS384: { hash: "sha384", scheme: "rsa" },
    RS512: { hash: "sha512", scheme: "rsa" },
    PS256: { hash: "sha256", scheme: "rsa", saltLength: 32 },
    PS384: { hash: "sha384", scheme: "rsa", saltLength: 48 },
    PS512: { hash: "sha512", scheme: "rsa", saltLength: 64 },
    ES256: { hash: "sha256", scheme: "ecdsa" },
    ES384: { hash: "sha384", scheme: "ecdsa" },
    ES512: { hash: "sha512", scheme: "ecdsa" },
    EdDSA: { hash: null, scheme: "eddsa" },
  } satisfies Record<string, Algorithm>),
);

/** RSA keys shorter than this are refused for RS* and PS* (jose's minimum, RFC 7518 §3.3). */
export const MIN_RSA_BITS = 2048;

const fail = (message: string): never => {
  throw new JwtSignatureError(message);
};

/**
 * The key to verify `alg` signatures with, from a JWK: imported by jose (its JWK rules: the key type
 * and curve `alg` needs, `key_ops` and `ext` well-formed), then held to what jose checks when it
 * verifies: a public key, and for RS* and PS* at least {@link MIN_RSA_BITS}. Rejects when it is not;
 * the JWKS cache imports each key once, for one algorithm.
 */
export async function verificationKey(jwk: JWK, alg: string): Promise<KeyObject> {
  const key = KeyObject.from((await importJWK(jwk, alg)) as webcrypto.CryptoKey);
  if (key.type !== "public") fail("Not a public key");
  if (key.asymmetricKeyType === "rsa" && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS)
    fail(`${alg} needs an RSA key of at least ${MIN_RSA_BITS} bits`);
  return key;
}

/**
 * Checks `token`'s structure and signature and returns its claims (not checked here: `checkClaims`).
 * In jose's order: the protected header (a JSON object; `crit` only as `["b64"]` with `b64: true`,
 * the one extension jose knows and a JWT may carry), `alg` in `algorithms`, then the key (a resolver's
 * error, such as the JWKS being unreachable, comes out as it is), the signature, the claims set (a
 * JSON object). Anything else rejects with {@link JwtSignatureError}.
 */
export async function verifyJwtSignature(
  token: string,
  algorithms: readonly string[],
  key: JwtKey,
): Promise<JWTPayload> {
  const parts = token.split(".");
  if (parts.length !== 3) fail("Not a compact JWS");
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const header = protectedHeader(encodedHeader);
  const { alg } = header;
  if (typeof alg !== "string" || !algorithms.includes(alg)) fail("Algorithm not allowed");
  const algorithm = ALGORITHMS.get(alg as string) ?? fail(`Unsupported algorithm ${alg}`);
  // A character past ASCII takes more than one UTF-8 byte (jose refuses it before the signature too).
  if (Buffer.byteLength(encodedPayload) !== encodedPayload.length) fail("The payload is not ASCII");
  const resolved = key instanceof Uint8Array ? key : await key(header as JwsHeader & { alg: string });
  const signature = decodePart(encodedSignature);
  // Both parts are ASCII (the header decoded, the payload was tested): one byte per character.
  const signed = Buffer.from(token.slice(0, encodedHeader.length + 1 + encodedPayload.length), "latin1");
  const valid =
    resolved instanceof Uint8Array
      ? hmacMatches(algorithm, resolved, signed, signature)
      : await signatureMatches(algorithm, resolved, signed, signature);
  if (!valid) fail("Signature verification failed");
  return decodeJsonObject(encodedPayload) as JWTPayload;
}

/** The claims of a token that looks like a JWT (three parts, the second a JSON object), unverified. */
export function unverifiedClaims(token: string): JWTPayload {
  const parts = token.split(".");
  if (parts.length !== 3) fail("Not a compact JWS");
  return decodeJsonObject(parts[1] as string) as JWTPayload;
}

/** The protected header, with jose's `crit` and `b64` rules for a JWT. */
function protectedHeader(part: string): JwsHeader {
  const header: JwsHeader = decodeJsonObject(part);
  const { crit } = header;
  if (crit === undefined) return header;
  // jose recognises one extension, b64; a JWT must encode its payload, so b64 may only be true.
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => name !== "b64"))
    fail("Unsupported crit");
  if (header.b64 !== true) fail("JWTs must encode their payload");
  return header;
}

const CANONICAL_BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A part's bytes, read as jose reads them (`base64url.decode`: forgiving base64, so padding and
 * whitespace pass). Parts in the canonical spelling, which is every real token's, take node's native
 * decoder, which reads them alike and costs a fraction of jose's character loop.
 */
function decodePart(part: string): Uint8Array {
  if (part.length % 4 !== 1 && CANONICAL_BASE64URL.test(part)) return Buffer.from(part, "base64url");
  try {
    return base64url.decode(part);
  } catch (cause) {
    throw new JwtSignatureError("Not base64url", { cause });
  }
}

/** A part holding a JSON object (strict UTF-8), as jose requires of the header and the claims set. */
function decodeJsonObject(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(decodePart(part)));
  } catch (cause) {
    throw new JwtSignatureError("Not a JSON object", { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("Not a JSON object");
  return value as Record<string, unknown>;
}

function hmacMatches(algorithm: Algorithm, secret: Uint8Array, signed: Buffer, signature: Uint8Array) {
  if (algorithm.scheme !== "hmac") fail("A shared secret verifies HS* only");
  const expected = createHmac(algorithm.hash as string, secret)
    .update(signed)
    .digest();
  return expected.length === signature.length && timingSafeEqual(expected, signature);
}

function signatureMatches(
  algorithm: Algorithm,
  key: KeyObject,
  signed: Buffer,
  signature: Uint8Array,
): Promise<boolean> {
  const options =
    algorithm.scheme === "ecdsa"
      ? { key, dsaEncoding: "ieee-p1363" as const }
      : algorithm.saltLength !== undefined
        ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.saltLength }
        : key;
  return new Promise((resolve) =>
    // On the thread pool; an error (a malformed signature OpenSSL refuses) is a failed check.
    nodeVerify(algorithm.hash, signed, options, signature, (error, valid) => resolve(!error && valid)),
  );
}

import { isUtf8 } from "node:buffer";
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
  /** HS*: an HMAC under the shared secret, not a public-key signature. */
  hmac?: true;
  /** ES*: the signature is r||s (IEEE P1363), as JWS writes it, not DER. */
  p1363?: true;
  /** PS*: RSA-PSS with a salt as long as the digest (else RSA PKCS#1 v1.5). */
  saltLength?: number;
}

// The algorithms credkit's schema allows (schemas/secrets.ts), as node:crypto runs them.
const ALGORITHMS = new Map<string, Algorithm>(
  Object.entries({
    HS256: { hash: "sha256", hmac: true },
    HS384: { hash: "sha384", hmac: true },
    HS512: { hash: "sha512", hmac: true },
    // Stryker disable next-line ObjectLiteral,StringLiteral: node's default digest for an RSA key is SHA-256
    RS256: { hash: "sha256" },
    RS384: { hash: "sha384" },
    RS512: { hash: "sha512" },
    PS256: { hash: "sha256", saltLength: 32 },
    PS384: { hash: "sha384", saltLength: 48 },
    PS512: { hash: "sha512", saltLength: 64 },
    ES256: { hash: "sha256", p1363: true },
    ES384: { hash: "sha384", p1363: true },
    ES512: { hash: "sha512", p1363: true },
    // Stryker disable next-line ObjectLiteral: an absent digest is null to node, which Ed25519 takes
    EdDSA: { hash: null },
  } satisfies Record<string, Algorithm>),
);

/** RSA keys shorter than this are refused for RS* and PS* (jose's minimum, RFC 7518 §3.3). */
export const MIN_RSA_BITS = 2048;

/**
 * The key to verify `alg` signatures with, from a JWK: imported by jose (its JWK rules: the key type
 * and curve `alg` needs, `key_ops` and `ext` well-formed), then held to what jose checks when it
 * verifies: a public key, and for RS* and PS* at least {@link MIN_RSA_BITS}. Rejects when it is not;
 * the JWKS cache imports each key once, for one algorithm.
 */
export async function verificationKey(jwk: JWK, alg: string): Promise<KeyObject> {
  const key = KeyObject.from((await importJWK(jwk, alg)) as webcrypto.CryptoKey);
  if (key.type !== "public") throw new JwtSignatureError("Not a public key");
  // Stryker disable next-line OptionalChaining: an RSA KeyObject always has its details
  if (key.asymmetricKeyType === "rsa" && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS)
    throw new JwtSignatureError(`${alg} needs an RSA key of at least ${MIN_RSA_BITS} bits`);
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
  if (parts.length !== 3) throw new JwtSignatureError("Not a compact JWS");
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const header = protectedHeader(encodedHeader);
  const alg = header.alg as string;
  // The list holds strings only: an alg of another type is never in it.
  if (!algorithms.includes(alg)) throw new JwtSignatureError("Algorithm not allowed");
  const algorithm = ALGORITHMS.get(alg);
  if (!algorithm) throw new JwtSignatureError(`Unsupported algorithm ${alg}`);
  // A character past ASCII takes more than one UTF-8 byte (jose refuses it before the signature too).
  if (Buffer.byteLength(encodedPayload) !== encodedPayload.length)
    throw new JwtSignatureError("The payload is not ASCII");
  const resolved = key instanceof Uint8Array ? key : await key(header as JwsHeader & { alg: string });
  const signature = decodePart(encodedSignature);
  // Both parts are ASCII (the header decoded, the payload was tested): one byte per character.
  const signed = Buffer.from(token.slice(0, encodedHeader.length + 1 + encodedPayload.length));
  const valid =
    resolved instanceof Uint8Array
      ? hmacMatches(algorithm, resolved, signed, signature)
      : await signatureMatches(algorithm, resolved, signed, signature);
  if (!valid) throw new JwtSignatureError("Signature verification failed");
  return decodeJsonObject(encodedPayload) as JWTPayload;
}

/** The claims of a token that looks like a JWT (three parts, the second a JSON object), unverified. */
export function unverifiedClaims(token: string): JWTPayload {
  const parts = token.split(".");
  if (parts.length !== 3) throw new JwtSignatureError("Not a compact JWS");
  return decodeJsonObject(parts[1] as string) as JWTPayload;
}

/** The protected header, with jose's `crit` and `b64` rules for a JWT. */
function protectedHeader(part: string): JwsHeader {
  const header: JwsHeader = decodeJsonObject(part);
  const { crit } = header;
  if (crit === undefined) return header;
  // jose recognises one extension, b64; a JWT must encode its payload, so b64 may only be true.
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => name !== "b64"))
    throw new JwtSignatureError("Unsupported crit");
  if (header.b64 !== true) throw new JwtSignatureError("JWTs must encode their payload");
  return header;
}

// Stryker disable next-line Regex: performance only: a part this leaves out is read by jose, alike
const CANONICAL_BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * A part's bytes, read as jose reads them (`base64url.decode`: forgiving base64, so padding and
 * whitespace pass). Parts in the canonical spelling, which is every real token's, take node's native
 * decoder, which reads them alike and costs a fraction of jose's character loop.
 */
function decodePart(part: string): Buffer {
  // Stryker disable next-line ConditionalExpression: performance only: a part the fast path leaves is read by jose, alike
  if (part.length % 4 !== 1 && CANONICAL_BASE64URL.test(part)) return Buffer.from(part, "base64url");
  try {
    return Buffer.from(base64url.decode(part));
  } catch (cause) {
    throw new JwtSignatureError("Not base64url", { cause });
  }
}

/** A part holding a JSON object in UTF-8 (strict), as jose requires of the header and the claims set. */
function decodeJsonObject(part: string): Record<string, unknown> {
  const bytes = decodePart(part);
  if (!isUtf8(bytes)) throw new JwtSignatureError("Not UTF-8");
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString());
  } catch (cause) {
    throw new JwtSignatureError("Not JSON", { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new JwtSignatureError("Not a JSON object");
  return value as Record<string, unknown>;
}

function hmacMatches(algorithm: Algorithm, secret: Uint8Array, signed: Buffer, signature: Uint8Array) {
  if (!algorithm.hmac) throw new JwtSignatureError("A shared secret verifies HS* only");
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
  // A public key never checks an HS* token (whatever signature it carries): that is the shared secret's.
  if (algorithm.hmac) throw new JwtSignatureError("HS* needs the shared secret");
  const options = algorithm.p1363
    ? { key, dsaEncoding: "ieee-p1363" as const }
    : algorithm.saltLength !== undefined
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.saltLength }
      : key;
  return new Promise((resolve) =>
    // On the thread pool; an error (a malformed signature OpenSSL refuses) is a failed check.
    nodeVerify(algorithm.hash, signed, options, signature, (error, valid) => resolve(!error && valid)),
  );
}

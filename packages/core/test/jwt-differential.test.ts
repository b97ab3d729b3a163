import { constants, createHmac, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { createLocalJWKSet, exportJWK, type JWK, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { createJwksCache } from "../src/proxy/jwks-cache.js";
import { checkClaims } from "../src/proxy/jwt-claims.js";
import { type JwtKey, verifyJwtSignature } from "../src/proxy/jwt-signature.js";
import type { SecretOf } from "../src/schemas/secrets.js";

// credkit's own JWS check against jose.jwtVerify, on the same token, key set, algorithms, issuer,
// audience and clock: every hostile variant here is built by hand, and credkit must never accept one
// that jose refuses (it may refuse more: a BOM, a missing exp, an infinite exp, an iat in the future).
const part = (value: Buffer | string) => Buffer.from(value).toString("base64url");
const NOW = 1_800_000_000;
const ISSUER = "https://issuer.test";
const claims = { iss: ISSUER, aud: "api", exp: NOW + 60 };
const SECRET = "s".repeat(64);
const secretBytes = new TextEncoder().encode(SECRET);
const config = (algorithms: string[]) =>
  ({ algorithms, issuer: ISSUER, audience: "api", failPolicy: "fail-closed" }) as SecretOf<"jwtVerify">;

async function credkitAccepts(token: string, algorithms: string[], key: JwtKey): Promise<boolean> {
  try {
    const payload = await verifyJwtSignature(token, algorithms, key);
    return checkClaims(payload, config(algorithms), NOW * 1000) === null;
  } catch {
    return false;
  }
}

async function joseAccepts(token: string, algorithms: string[], key: unknown): Promise<boolean> {
  try {
    const options = { algorithms, issuer: ISSUER, audience: "api", currentDate: new Date(NOW * 1000) };
    await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], options);
    return true;
  } catch {
    return false;
  }
}

/** Both verdicts, as `credkit/jose`. */
async function verdicts(token: string, algorithms: string[], credkitKey: JwtKey, joseKey: unknown) {
  const ours = await credkitAccepts(token, algorithms, credkitKey);
  const theirs = await joseAccepts(token, algorithms, joseKey);
  return `${ours ? "accepts" : "refuses"}/${theirs ? "accepts" : "refuses"}`;
}

/** A token over exactly these header and payload parts (as spelled), HMAC-signed with the secret. */
function hs256(header: string, payload: string, spell = (h: string, p: string) => [h, p]): string {
  const [h, p] = spell(part(header), part(payload)) as [string, string];
  return `${h}.${p}.${part(createHmac("sha256", SECRET).update(`${h}.${p}`).digest())}`;
}

/** A token over `header` and `payload`, its signature whatever `signer` makes of the signing input. */
function signed(header: object, signer: (input: Buffer) => Buffer, payload: object = claims): string {
  const input = `${part(JSON.stringify(header))}.${part(JSON.stringify(payload))}`;
  return `${input}.${part(signer(Buffer.from(input)))}`;
}

/** One key set served to both: credkit's JWKS cache (the real resolver) and jose's local JWKS. */
function keySet(keys: JWK[]) {
  const cache = createJwksCache({
    fetch: async () => Response.json({ keys }),
    cooldownMs: 60_000,
    maxAgeMs: 600_000,
    now: () => NOW * 1000,
  });
  return { credkit: cache.resolver("https://issuer.test/jwks"), jose: createLocalJWKSet({ keys }) };
}
const publicJwk = async (key: KeyObject, extra: object = {}) =>
  ({ ...(await exportJWK(key)), ...extra }) as JWK;

describe("credkit and jose on the same hand-made HS256 token", () => {
  const P = JSON.stringify(claims);
  const plain = hs256('{"alg":"HS256"}', P);
  const [h, p, s] = plain.split(".") as [string, string, string];
  const last = s.charCodeAt(s.length - 1);
  const cases: [string, string, string][] = [
    ["a plain token", plain, "accepts/accepts"],
    ["crit [b64] with b64 true", hs256('{"alg":"HS256","crit":["b64"],"b64":true}', P), "accepts/accepts"],
    ["crit [b64, b64]", hs256('{"alg":"HS256","crit":["b64","b64"],"b64":true}', P), "accepts/accepts"],
    ["crit [b64] with b64 false", hs256('{"alg":"HS256","crit":["b64"],"b64":false}', P), "refuses/refuses"],
    ["crit [b64] with b64 absent", hs256('{"alg":"HS256","crit":["b64"]}', P), "refuses/refuses"],
    [
      "crit [b64] with b64 a string",
      hs256('{"alg":"HS256","crit":["b64"],"b64":"true"}', P),
      "refuses/refuses",
    ],
    ["b64 false without crit (ignored)", hs256('{"alg":"HS256","b64":false}', P), "accepts/accepts"],
    ["crit naming another parameter", hs256('{"alg":"HS256","crit":["exp"],"exp":1}', P), "refuses/refuses"],
    ["crit empty", hs256('{"alg":"HS256","crit":[]}', P), "refuses/refuses"],
    ["crit not an array", hs256('{"alg":"HS256","crit":"b64","b64":true}', P), "refuses/refuses"],
    ["alg none", hs256('{"alg":"none"}', P), "refuses/refuses"],
    ["alg in lower case", hs256('{"alg":"hs256"}', P), "refuses/refuses"],
    ["alg not a string", hs256('{"alg":["HS256"]}', P), "refuses/refuses"],
    ["a duplicate alg, the allowed one last", hs256('{"alg":"none","alg":"HS256"}', P), "accepts/accepts"],
    ["a duplicate alg, none last", hs256('{"alg":"HS256","alg":"none"}', P), "refuses/refuses"],
    ["a header that is an array", hs256('[{"alg":"HS256"}]', P), "refuses/refuses"],
    ["a header with __proto__", hs256('{"alg":"HS256","__proto__":{"crit":["x"]}}', P), "accepts/accepts"],
    [
      "claims with __proto__",
      hs256('{"alg":"HS256"}', P.replace("}", ',"__proto__":{"iss":"x"}}')),
      "accepts/accepts",
    ],
    [
      "a duplicate exp, the past one last",
      hs256('{"alg":"HS256"}', P.replace("}", `,"exp":${NOW}}`)),
      "refuses/refuses",
    ],
    [
      "exp a numeric string",
      hs256('{"alg":"HS256"}', JSON.stringify({ ...claims, exp: `${NOW + 60}` })),
      "refuses/refuses",
    ],
    [
      "nbf in the future",
      hs256('{"alg":"HS256"}', JSON.stringify({ ...claims, nbf: NOW + 1 })),
      "refuses/refuses",
    ],
    ["exp now", hs256('{"alg":"HS256"}', JSON.stringify({ ...claims, exp: NOW })), "refuses/refuses"],
    [
      "aud a list holding it",
      hs256('{"alg":"HS256"}', JSON.stringify({ ...claims, aud: ["x", "api"] })),
      "accepts/accepts",
    ],
    [
      "aud a nested list",
      hs256('{"alg":"HS256"}', JSON.stringify({ ...claims, aud: [["api"]] })),
      "refuses/refuses",
    ],
    [
      "iss another issuer",
      hs256('{"alg":"HS256"}', JSON.stringify({ ...claims, iss: `${ISSUER}/` })),
      "refuses/refuses",
    ],
    [
      "iss absent",
      hs256('{"alg":"HS256"}', JSON.stringify({ aud: "api", exp: NOW + 60 })),
      "refuses/refuses",
    ],
    // Stricter than jose, by design or by reading UTF-8 strictly without stripping a BOM.
    ["exp 1e400 (Infinity)", hs256('{"alg":"HS256"}', P.replace(`${NOW + 60}`, "1e400")), "refuses/accepts"],
    ["nbf -1e400", hs256('{"alg":"HS256"}', P.replace("}", ',"nbf":-1e400}')), "refuses/accepts"],
    [
      "iat in the future",
      hs256('{"alg":"HS256"}', JSON.stringify({ ...claims, iat: NOW + 1 })),
      "refuses/accepts",
    ],
    ["exp absent", hs256('{"alg":"HS256"}', JSON.stringify({ iss: ISSUER, aud: "api" })), "refuses/accepts"],
    ["a header after a UTF-8 BOM", hs256('\uFEFF{"alg":"HS256"}', P), "refuses/accepts"],
    // The spelling of the parts: forgiving base64url, as jose reads it.
    [
      "a header with a space inside",
      hs256('{"alg":"HS256"}', P, (a, b) => [`${a.slice(0, 4)} ${a.slice(4)}`, b]),
      "accepts/accepts",
    ],
    [
      "a payload with a tab inside",
      hs256('{"alg":"HS256"}', P, (a, b) => [a, `${b.slice(0, 4)}\t${b.slice(4)}`]),
      "accepts/accepts",
    ],
    ["a payload padded", hs256('{"alg":"HS256"}', `${P} `, (a, b) => [a, `${b}=`]), "accepts/accepts"],
    ["a signature padded", `${h}.${p}.${s}=`, "accepts/accepts"],
    [
      "a signature with non-zero trailing bits",
      `${h}.${p}.${s.slice(0, -1)}${String.fromCharCode(last + 1)}`,
      "accepts/accepts",
    ],
    [
      "a signature in the standard alphabet",
      `${h}.${p}.${Buffer.from(s, "base64url").toString("base64")}`,
      "refuses/refuses",
    ],
    ["a signature one character too long", `${h}.${p}.${s}A`, "refuses/refuses"],
    ["a signature empty", `${h}.${p}.`, "refuses/refuses"],
    ["a signature with a non-ASCII letter", `${h}.${p}.${s}\u00e9`, "refuses/refuses"],
    ["a payload with a non-ASCII letter", `${h}.${p}\u00e9.${s}`, "refuses/refuses"],
    ["a payload with a lone surrogate", `${h}.${p}\ud800.${s}`, "refuses/refuses"],
    ["four parts", `${plain}.`, "refuses/refuses"],
  ];
  for (const [name, token, expected] of cases)
    it(`${name}: ${expected}`, async () => {
      expect(await verdicts(token, ["HS256"], secretBytes, secretBytes)).toBe(expected);
    });
});

describe("credkit and jose on the same hand-made signature, through a JWKS", () => {
  it("ECDSA: raw r||s of the curve's exact length only (no DER, no byte more or less)", async () => {
    for (const [alg, curve, hash] of [
      ["ES256", "P-256", "sha256"],
      ["ES384", "P-384", "sha384"],
      ["ES512", "P-521", "sha512"],
    ] as const) {
      const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: curve });
      const keys = keySet([await publicJwk(publicKey, { kid: "k" })]);
      const p1363 = (input: Buffer) => sign(hash, input, { key: privateKey, dsaEncoding: "ieee-p1363" });
      const cases: [(input: Buffer) => Buffer, string][] = [
        [p1363, "accepts/accepts"],
        [(input) => sign(hash, input, privateKey), "refuses/refuses"], // DER
        [(input) => p1363(input).subarray(1), "refuses/refuses"],
        [(input) => Buffer.concat([Buffer.alloc(1), p1363(input)]), "refuses/refuses"],
        [(input) => Buffer.concat([p1363(input), Buffer.alloc(1)]), "refuses/refuses"],
      ];
      for (const [signer, expected] of cases)
        expect(await verdicts(signed({ alg, kid: "k" }, signer), [alg], keys.credkit, keys.jose)).toBe(
          expected,
        );
      // The key's curve is another algorithm's: neither imports it for this one.
      const other = alg === "ES256" ? "ES384" : "ES256";
      const all = ["ES256", "ES384", "ES512"];
      expect(await verdicts(signed({ alg: other, kid: "k" }, p1363), all, keys.credkit, keys.jose)).toBe(
        "refuses/refuses",
      );
    }
  });

  it("RSA: PSS with the digest's salt length only, PKCS#1 v1.5 for RS*, the modulus' length", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const keys = keySet([await publicJwk(publicKey, { kid: "k" })]);
    for (const alg of ["PS256", "PS384", "PS512"]) {
      const hash = `sha${alg.slice(2)}`;
      const pss = (saltLength: number) => (input: Buffer) =>
        sign(hash, input, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
      const digestLength = Number(alg.slice(2)) / 8;
      const cases: [(input: Buffer) => Buffer, string][] = [
        [pss(digestLength), "accepts/accepts"],
        [pss(0), "refuses/refuses"],
        [pss(20), "refuses/refuses"],
        [pss(constants.RSA_PSS_SALTLEN_MAX_SIGN), "refuses/refuses"],
        [(input) => sign(hash, input, privateKey), "refuses/refuses"], // PKCS#1 v1.5
        [(input) => Buffer.concat([Buffer.alloc(1), pss(digestLength)(input)]), "refuses/refuses"],
      ];
      for (const [signer, expected] of cases)
        expect(await verdicts(signed({ alg, kid: "k" }, signer), [alg], keys.credkit, keys.jose)).toBe(
          expected,
        );
    }
    const pkcs1 = (input: Buffer) => sign("sha256", input, privateKey);
    const rs = (signer: (input: Buffer) => Buffer) => signed({ alg: "RS256", kid: "k" }, signer);
    expect(await verdicts(rs(pkcs1), ["RS256"], keys.credkit, keys.jose)).toBe("accepts/accepts");
    const prefixed = (input: Buffer) => Buffer.concat([Buffer.alloc(1), pkcs1(input)]);
    expect(await verdicts(rs(prefixed), ["RS256"], keys.credkit, keys.jose)).toBe("refuses/refuses");
    const pss = (input: Buffer) =>
      sign("sha256", input, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING });
    expect(await verdicts(rs(pss), ["RS256"], keys.credkit, keys.jose)).toBe("refuses/refuses");
  });

  it("RSA: a signature whose leading zero byte is cut off fares alike (OpenSSL takes it for PSS, both ways)", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const keys = keySet([await publicJwk(publicKey, { kid: "k" })]);
    const signers = {
      RS256: (input: Buffer) => sign("sha256", input, privateKey),
      PS256: (input: Buffer) =>
        sign("sha256", input, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
    };
    for (const [alg, signer] of Object.entries(signers)) {
      // One signature in 256 starts with a zero byte: search the jti that makes one.
      let token: string | undefined;
      for (let jti = 0; token === undefined && jti < 5_000; jti++) {
        const input = `${part(JSON.stringify({ alg, kid: "k" }))}.${part(JSON.stringify({ ...claims, jti }))}`;
        const signature = signer(Buffer.from(input));
        if (signature[0] === 0) token = `${input}.${part(signature.subarray(1))}`;
      }
      const both = await verdicts(token as string, [alg], keys.credkit, keys.jose);
      expect(both === "accepts/accepts" || both === "refuses/refuses").toBe(true);
    }
  });

  it("EdDSA: Ed25519 signatures of 64 bytes only; an Ed448 key is no EdDSA key to either", async () => {
    const ed25519 = generateKeyPairSync("ed25519");
    const keys = keySet([await publicJwk(ed25519.publicKey, { kid: "k" })]);
    const base = (input: Buffer) => sign(null, input, ed25519.privateKey);
    const token = (signer: (input: Buffer) => Buffer) => signed({ alg: "EdDSA", kid: "k" }, signer);
    expect(await verdicts(token(base), ["EdDSA"], keys.credkit, keys.jose)).toBe("accepts/accepts");
    const short = (input: Buffer) => base(input).subarray(1);
    expect(await verdicts(token(short), ["EdDSA"], keys.credkit, keys.jose)).toBe("refuses/refuses");
    const long = (input: Buffer) => Buffer.concat([base(input), Buffer.alloc(1)]);
    expect(await verdicts(token(long), ["EdDSA"], keys.credkit, keys.jose)).toBe("refuses/refuses");
    const ed448 = generateKeyPairSync("ed448");
    const keys448 = keySet([await publicJwk(ed448.publicKey, { kid: "k" })]);
    const by448 = (input: Buffer) => sign(null, input, ed448.privateKey);
    expect(await verdicts(token(by448), ["EdDSA"], keys448.credkit, keys448.jose)).toBe("refuses/refuses");
  });
});

// jose matches a header's kid only when it is a string; the JWKS cache once compared any kid with ===
// and keyed its imports by `${kid}|${alg}`, where the number 5 and the string "5" were one entry (a
// token with kid 5 could make tokens of kid "5" be checked with another key until the next fetch).
describe("the kid, as jose reads it", () => {
  async function twoKeys() {
    const a = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const b = generateKeyPairSync("ec", { namedCurve: "P-256" });
    // A key set with a kid that is not a string (RFC 7517 wants one), beside the string of it.
    const keys = keySet([
      await publicJwk(a.publicKey, { kid: 5 }),
      await publicJwk(b.publicKey, { kid: "5" }),
    ]);
    const byA = (input: Buffer) => sign("sha256", input, { key: a.privateKey, dsaEncoding: "ieee-p1363" });
    return { keys, byA };
  }

  it("a kid that is not a string selects no key", async () => {
    const { keys, byA } = await twoKeys();
    const token = signed({ alg: "ES256", kid: 5 }, byA);
    expect(await verdicts(token, ["ES256"], keys.credkit, keys.jose)).toBe("refuses/refuses");
  });

  it('kid "5" is checked with the key of kid "5", whatever kid 5 imported before', async () => {
    const { keys, byA } = await twoKeys();
    // Unsigned-for garbage is enough to make the cache import A under "5|ES256".
    await credkitAccepts(`${part('{"alg":"ES256","kid":5}')}.${part("{}")}.AAAA`, ["ES256"], keys.credkit);
    const token = signed({ alg: "ES256", kid: "5" }, byA);
    expect(await verdicts(token, ["ES256"], keys.credkit, keys.jose)).toBe("refuses/refuses");
  });
});

import { createHmac, generateKeyPairSync, KeyObject, sign, type webcrypto } from "node:crypto";
import { CompactSign, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import {
  type JwsHeader,
  JwtSignatureError,
  MIN_RSA_BITS,
  unverifiedClaims,
  verificationKey,
  verifyJwtSignature,
} from "../src/proxy/jwt-signature.js";
import { jwtAlgorithms } from "../src/schemas/secrets.js";

// The JWT structure and signature check credkit runs with node:crypto, rule by rule, on tokens jose
// signs (so the two agree on the format) and on tokens built by hand for what jose would never sign.
const part = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const claims = { iss: "https://issuer.test", aud: "api", sub: "u" };
const secret = new TextEncoder().encode("s".repeat(64));

/** A key pair for `alg`, its public half as the JWKS would serve it. */
async function pair(alg: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, key: await verificationKey(jwk, alg) };
}

/** A resolver that always answers `key`, remembering the headers it was asked for. */
function resolverOf(key: KeyObject) {
  const asked: JwsHeader[] = [];
  const resolve = async (header: JwsHeader & { alg: string }) => {
    asked.push(header);
    return key;
  };
  return { resolve, asked };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => "verified",
    (error: Error) => (error instanceof JwtSignatureError ? "refused" : `${error.name}: ${error.message}`),
  );

/** `header.payload` signed with HMAC-SHA256 under the shared secret, whatever the header says. */
function hs256(header: unknown, payload: unknown = claims) {
  const signed = `${part(header)}.${part(payload)}`;
  return `${signed}.${createHmac("sha256", secret).update(signed).digest("base64url")}`;
}

describe("verifyJwtSignature with each algorithm", () => {
  for (const alg of jwtAlgorithms.filter((name) => !name.startsWith("HS"))) {
    it(`verifies ${alg} and refuses it with a byte of the signature changed`, async () => {
      const { privateKey, key } = await pair(alg);
      const token = await new SignJWT(claims).setProtectedHeader({ alg }).sign(privateKey);
      expect(await verifyJwtSignature(token, [alg], resolverOf(key).resolve)).toEqual(claims);
      const signature = Buffer.from(token.split(".")[2] as string, "base64url");
      signature[5] = (signature[5] as number) ^ 1;
      const tampered = `${token.split(".").slice(0, 2).join(".")}.${signature.toString("base64url")}`;
      expect(await refusal(verifyJwtSignature(tampered, [alg], resolverOf(key).resolve))).toBe("refused");
    });
  }

  for (const alg of ["HS256", "HS384", "HS512"]) {
    it(`verifies ${alg} with the shared secret, and not with another`, async () => {
      const token = await new SignJWT(claims).setProtectedHeader({ alg }).sign(secret);
      expect(await verifyJwtSignature(token, [alg], secret)).toEqual(claims);
      const other = new TextEncoder().encode("t".repeat(64));
      expect(await refusal(verifyJwtSignature(token, [alg], other))).toBe("refused");
    });
  }

  it("refuses an HMAC cut short, and an HMAC under another digest than the header's", async () => {
    const token = hs256({ alg: "HS256" });
    const [h, p, s] = token.split(".") as [string, string, string];
    const short = Buffer.from(s, "base64url").subarray(0, 31).toString("base64url");
    expect(await refusal(verifyJwtSignature(`${h}.${p}.${short}`, ["HS256"], secret))).toBe("refused");
    const h384 = part({ alg: "HS384" });
    const as256 = createHmac("sha256", secret).update(`${h384}.${p}`).digest("base64url");
    expect(await refusal(verifyJwtSignature(`${h384}.${p}.${as256}`, ["HS384"], secret))).toBe("refused");
  });

  it("uses RSA-PSS for PS*, PKCS#1 v1.5 for RS*, and the digest the header names", async () => {
    // One RSA key signs under every RS* and PS* algorithm.
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const key = await verificationKey(publicKey.export({ format: "jwk" }) as JWK, "PS256");
    const pkcs1 = await new SignJWT(claims).setProtectedHeader({ alg: "RS256" }).sign(privateKey);
    const relabel = (token: string, alg: string) => `${part({ alg })}.${token.split(".").slice(1).join(".")}`;
    const { resolve } = resolverOf(key);
    // An RS256 signature presented as PS256 (the same key fits both) is not a PSS signature.
    expect(await refusal(verifyJwtSignature(relabel(pkcs1, "PS256"), ["PS256"], resolve))).toBe("refused");
    const pss = await new SignJWT(claims).setProtectedHeader({ alg: "PS256" }).sign(privateKey);
    expect(await refusal(verifyJwtSignature(relabel(pss, "RS256"), ["RS256"], resolve))).toBe("refused");
    const pss384 = await new SignJWT(claims).setProtectedHeader({ alg: "PS384" }).sign(privateKey);
    expect(await refusal(verifyJwtSignature(relabel(pss384, "PS256"), ["PS256"], resolve))).toBe("refused");
    const rs384 = await new SignJWT(claims).setProtectedHeader({ alg: "RS384" }).sign(privateKey);
    expect(await refusal(verifyJwtSignature(relabel(rs384, "RS256"), ["RS256"], resolve))).toBe("refused");
  });

  it("checks an ECDSA signature as r||s (JWS), not DER", async () => {
    const { privateKey, key } = await pair("ES256");
    const token = await new SignJWT(claims).setProtectedHeader({ alg: "ES256" }).sign(privateKey);
    const [h, p] = token.split(".") as [string, string];
    const der = sign("sha256", Buffer.from(`${h}.${p}`), KeyObject.from(privateKey as webcrypto.CryptoKey));
    expect(
      await refusal(
        verifyJwtSignature(`${h}.${p}.${der.toString("base64url")}`, ["ES256"], resolverOf(key).resolve),
      ),
    ).toBe("refused");
  });
});

describe("verifyJwtSignature's rules before the signature", () => {
  it("takes exactly three parts", async () => {
    const token = hs256({ alg: "HS256" });
    expect(await refusal(verifyJwtSignature(`${token}.x`, ["HS256"], secret))).toBe("refused");
    expect(await refusal(verifyJwtSignature(token.split(".").slice(0, 2).join("."), ["HS256"], secret))).toBe(
      "refused",
    );
    const five = `${token}.${token.split(".").slice(1).join(".")}`;
    expect(five.split(".")).toHaveLength(5);
    expect(await refusal(verifyJwtSignature(five, ["HS256"], secret))).toBe("refused");
  });

  it("takes a protected header that is a JSON object with alg among the allowed algorithms", async () => {
    for (const header of [[{ alg: "HS256" }], "HS256", {}, { alg: 256 }, { alg: "" }, { alg: "none" }]) {
      expect(await refusal(verifyJwtSignature(hs256(header), ["HS256"], secret))).toBe("refused");
    }
    const [, p, s] = hs256({ alg: "HS256" }).split(".");
    expect(await refusal(verifyJwtSignature(`e30*.${p}.${s}`, ["HS256"], secret))).toBe("refused");
    expect(await refusal(verifyJwtSignature(`.${p}.${s}`, ["HS256"], secret))).toBe("refused");
    expect(await refusal(verifyJwtSignature(hs256({ alg: "HS256" }), ["HS384"], secret))).toBe("refused");
  });

  it("refuses an allowed algorithm it cannot run, and a shared secret for anything but HS*", async () => {
    expect(await refusal(verifyJwtSignature(hs256({ alg: "none" }), ["none"], secret))).toBe("refused");
    // An RS256 header whose "signature" is an HMAC under the key it is checked with: alg confusion.
    expect(await refusal(verifyJwtSignature(hs256({ alg: "RS256" }), ["RS256"], secret))).toBe("refused");
  });

  it("refuses an HS* token checked with a public key, whatever it is signed with", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const key = await verificationKey(publicKey.export({ format: "jwk" }) as JWK, "RS256");
    const signed = `${part({ alg: "HS256" })}.${part(claims)}`;
    const signature = sign("sha256", Buffer.from(signed), privateKey).toString("base64url");
    expect(
      await refusal(verifyJwtSignature(`${signed}.${signature}`, ["HS256"], resolverOf(key).resolve)),
    ).toBe("refused");
    // The same signature under RS256 is a good one: only the algorithm refused it.
    const rs256 = `${part({ alg: "RS256" })}.${part(claims)}`;
    const good = sign("sha256", Buffer.from(rs256), privateKey).toString("base64url");
    expect(await verifyJwtSignature(`${rs256}.${good}`, ["RS256"], resolverOf(key).resolve)).toEqual(claims);
  });

  it('takes crit only as ["b64"] with b64 true, the one extension a JWT can carry', async () => {
    const accepted = hs256({ alg: "HS256", crit: ["b64"], b64: true });
    expect(await verifyJwtSignature(accepted, ["HS256"], secret)).toEqual(claims);
    for (const header of [
      { crit: ["b64"], b64: false },
      { crit: ["b64"] },
      { crit: ["b64"], b64: "true" },
      { crit: ["exp"], exp: 1 },
      { crit: ["b64", "exp"], b64: true, exp: 1 },
      { crit: [], b64: true },
      { crit: "b64", b64: true },
    ]) {
      expect(await refusal(verifyJwtSignature(hs256({ alg: "HS256", ...header }), ["HS256"], secret))).toBe(
        "refused",
      );
    }
    // b64 without crit is an unknown member like any other: ignored, as jose does.
    expect(await verifyJwtSignature(hs256({ alg: "HS256", b64: false }), ["HS256"], secret)).toEqual(claims);
  });

  it("resolves the key before it reads the signature, and not at all for a header it refuses", async () => {
    const { key } = await pair("ES256");
    const { resolve, asked } = resolverOf(key);
    const down = async () => {
      throw new Error("JWKS down");
    };
    const header = part({ alg: "ES256", kid: "k" });
    // A signature that is not base64url: the resolver's own error still comes out (the fail policy's case).
    expect(await refusal(verifyJwtSignature(`${header}.${part(claims)}.a+b/`, ["ES256"], down))).toBe(
      "Error: JWKS down",
    );
    expect(await refusal(verifyJwtSignature(`${header}.${part(claims)}.a+b/`, ["ES256"], resolve))).toBe(
      "refused",
    );
    expect(asked).toEqual([{ alg: "ES256", kid: "k" }]);
    expect(await refusal(verifyJwtSignature(`${header}.${part(claims)}.sig`, ["RS256"], resolve))).toBe(
      "refused",
    );
    expect(asked).toHaveLength(1);
  });

  it("refuses a payload part that is not ASCII before asking for the key", async () => {
    const { key } = await pair("ES256");
    const { resolve, asked } = resolverOf(key);
    const token = `${part({ alg: "ES256" })}.${part(claims)}é.sig`;
    expect(await refusal(verifyJwtSignature(token, ["ES256"], resolve))).toBe("refused");
    expect(asked).toHaveLength(0);
  });
});

describe("verifyJwtSignature's reading of base64url, as jose reads it", () => {
  /** A token over `encodedHeader` as given (not re-encoded), HMAC-signed over exactly that text. */
  const over = (encodedHeader: string) => {
    const signed = `${encodedHeader}.${part(claims)}`;
    return `${signed}.${createHmac("sha256", secret).update(signed).digest("base64url")}`;
  };
  // A header whose base64url has no padding to drop: its length is a multiple of 4.
  let json = JSON.stringify({ alg: "HS256" });
  while (part(json).length % 4 !== 0) json = `${json} `;
  const whole = part(json);

  it("reads padding and whitespace (forgiving base64) like the canonical spelling", async () => {
    const spaced = `${whole.slice(0, 4)} ${whole.slice(4)}`;
    expect(await verifyJwtSignature(over(spaced), ["HS256"], secret)).toEqual(claims);
    const withPadding = `${part(`${json}  `)}`;
    const padding = "=".repeat((4 - (withPadding.length % 4)) % 4);
    expect(padding.length).toBeGreaterThan(0);
    expect(await verifyJwtSignature(over(`${withPadding}${padding}`), ["HS256"], secret)).toEqual(claims);
  });

  it("refuses a part one character past a whole group, which base64 cannot spell", async () => {
    // Node's decoder would drop the stray character and read the header; jose refuses it.
    expect(await verifyJwtSignature(over(whole), ["HS256"], secret)).toEqual(claims);
    expect(await refusal(verifyJwtSignature(over(`${whole}A`), ["HS256"], secret))).toBe("refused");
  });

  it("refuses characters outside base64url anywhere in a part, where node's decoder would skip them", async () => {
    for (const stray of ["**", "+/", "=="]) {
      const token = over(`${whole.slice(0, 4)}${stray}${whole.slice(4)}`);
      expect(await refusal(verifyJwtSignature(token, ["HS256"], secret))).toBe("refused");
    }
  });

  it("refuses a part that is not UTF-8", async () => {
    const latin1 = Buffer.from('{"alg":"HS256","x":"\xe9"}', "latin1").toString("base64url");
    expect(await refusal(verifyJwtSignature(over(latin1), ["HS256"], secret))).toBe("refused");
  });
});

describe("unverifiedClaims", () => {
  it("reads the claims of anything in three parts whose second is a JSON object, checking nothing", () => {
    expect(unverifiedClaims(`${part({ alg: "none" })}.${part(claims)}.`)).toEqual(claims);
    expect(unverifiedClaims(`x.${part(claims)}.y`)).toEqual(claims);
    expect(() => unverifiedClaims(`x.${part(claims)}`)).toThrow(JwtSignatureError);
    expect(() => unverifiedClaims(`x.${part(claims)}.y.z`)).toThrow(JwtSignatureError);
    expect(() => unverifiedClaims(`x.${part([1])}.y`)).toThrow(JwtSignatureError);
  });

  it("keeps what a part failed with as the cause, and its own name", () => {
    const error = (() => {
      try {
        unverifiedClaims(`x.${part("not json")}.y`);
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error).toBeInstanceOf(JwtSignatureError);
    expect(error?.name).toBe("JwtSignatureError");
    expect(error?.cause).toBeInstanceOf(SyntaxError);
    const notBase64 = (() => {
      try {
        unverifiedClaims("x.e30*.y");
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(notBase64?.cause).toBeInstanceOf(TypeError);
  });
});

describe("verifyJwtSignature's claims set", () => {
  it("returns the claims only when they are a JSON object", async () => {
    for (const payload of ["[1]", "7", "null", "not json", ""]) {
      const signed = `${part({ alg: "HS256" })}.${payload === "" ? "" : part(payload)}`;
      const token = `${signed}.${createHmac("sha256", secret).update(signed).digest("base64url")}`;
      expect(await refusal(verifyJwtSignature(token, ["HS256"], secret))).toBe("refused");
    }
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify({ a: 1 })))
      .setProtectedHeader({ alg: "HS256" })
      .sign(secret);
    expect(await verifyJwtSignature(jws, ["HS256"], secret)).toEqual({ a: 1 });
  });
});

describe("verificationKey", () => {
  it("imports a public JWK for the algorithm it is used with", async () => {
    const { jwk } = await pair("ES256");
    const key = await verificationKey(jwk, "ES256");
    expect([key.type, key.asymmetricKeyType]).toEqual(["public", "ec"]);
    // jose's JWK rules: the curve must be the algorithm's.
    await expect(verificationKey(jwk, "ES384")).rejects.toThrow();
    await expect(verificationKey(jwk, "RS256")).rejects.toThrow();
  });

  it("refuses a private key, and a key that is not a key pair's", async () => {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const priv: JWK = await exportJWK(privateKey);
    await expect(verificationKey(priv, "ES256")).rejects.toThrow(JwtSignatureError);
    await expect(verificationKey({ kty: "oct", k: "c2VjcmV0" }, "ES256")).rejects.toThrow();
    await expect(verificationKey({ kty: "oct", k: "c2VjcmV0" }, "HS256")).rejects.toThrow();
  });

  it(`refuses an RSA key shorter than ${MIN_RSA_BITS} bits for RS* and PS*, and takes one of exactly that`, async () => {
    const jwkOf = (bits: number) =>
      generateKeyPairSync("rsa", { modulusLength: bits }).publicKey.export({ format: "jwk" }) as JWK;
    const short = jwkOf(MIN_RSA_BITS - 8);
    await expect(verificationKey(short, "RS256")).rejects.toThrow(JwtSignatureError);
    await expect(verificationKey(short, "PS256")).rejects.toThrow(JwtSignatureError);
    expect((await verificationKey(jwkOf(MIN_RSA_BITS), "RS256")).asymmetricKeyDetails?.modulusLength).toBe(
      MIN_RSA_BITS,
    );
  });
});

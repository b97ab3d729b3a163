import { UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { StoredCredential } from "../src/index.js";
import { createJwtCheck, unverifiedIssuer } from "../src/proxy/jwt-check.js";
import type { JwtOutcome, JwtVerifier } from "../src/proxy/jwt-verifier.js";
import type { OpenedSecret } from "../src/records/records.js";
import type { SecretOf } from "../src/schemas/secrets.js";
import { storedRecord } from "./stored-record.js";

// The verifier's speculation (issue 26): a signature check started on the credential last seen for a
// client's issuer counts only for that very record version, per client and issuer. The signature
// checks themselves are jose's (jwt-verify.test.ts); here a verifier that answers from a script shows
// which check an outcome came from.
const config: SecretOf<"jwtVerify"> = {
  algorithms: ["RS256"],
  issuer: "https://issuer.example",
  audience: "api",
  jwksUri: "https://issuer.example/jwks",
  failPolicy: "fail-open",
};
const jwtRecord = (overrides: Partial<StoredCredential> = {}) =>
  storedRecord({ authType: "jwtVerify", ...overrides });

/** A check over a verifier answering `outcomes` in turn, recording each token it is asked about. */
function scripted(...outcomes: JwtOutcome[]) {
  const asked: string[] = [];
  const jwt: JwtVerifier = {
    verify: async (token) => {
      asked.push(token);
      return outcomes[asked.length - 1] ?? "INVALID";
    },
  };
  const open = (record: StoredCredential) =>
    ({ authType: record.authType, secret: record.authType === "jwtVerify" ? config : {} }) as OpenedSecret;
  return { check: createJwtCheck({ jwt, open, lookupHashes: (value) => [`hash of ${value}`] }), asked };
}

describe("createJwtCheck: speculation", () => {
  it("speculates only on the credential last checked for that client and issuer", async () => {
    const { check, asked } = scripted("VALID", "EXPIRED");
    const record = jwtRecord();
    expect(check.speculate(record.clientId, "iss-a", "t0")).toBeUndefined();
    await check.check(record, "t1", "iss-a");
    expect(check.speculate("another-client", "iss-a", "t2")).toBeUndefined();
    expect(check.speculate(record.clientId, "iss-b", "t2")).toBeUndefined();
    const early = check.speculate(record.clientId, "iss-a", "t2");
    expect(early?.version).toBe(`${record.credentialId}\n${record.version}`);
    expect(await early?.outcome).toBe("EXPIRED");
    expect(asked).toEqual(["t1", "t2"]);
  });

  it("uses a speculation made for the same record version, and checks again for any other", async () => {
    const { check, asked } = scripted("VALID", "EXPIRED", "INVALID", "VALID");
    const record = jwtRecord();
    await check.check(record, "t1", "iss");
    const early = check.speculate(record.clientId, "iss", "t2");
    // The speculation's own outcome (EXPIRED), with no second verification.
    expect(await check.check(record, "t2", "iss", early)).toEqual({
      outcome: "EXPIRED",
      failPolicy: "fail-open",
    });
    expect(asked).toEqual(["t1", "t2"]);
    // The credential changed since: its speculation is worth nothing, the token is checked again.
    const stale = check.speculate(record.clientId, "iss", "t3");
    const changed = { ...record, version: record.version + 1 };
    expect((await check.check(changed, "t3", "iss", stale)).outcome).toBe("VALID");
    expect(asked).toEqual(["t1", "t2", "t3", "t3"]);
  });

  it("speculates on the credential now checked for an issuer, when another one of the same version was before", async () => {
    const { check } = scripted("VALID", "VALID");
    const first = jwtRecord({ credentialId: "first", version: 1 });
    const second = jwtRecord({ clientId: first.clientId, credentialId: "second", version: 1 });
    await check.check(first, "t1", "iss");
    await check.check(second, "t2", "iss");
    expect(check.speculate(first.clientId, "iss", "t3")?.version).toBe("second\n1");
  });

  it("stops speculating on a client's issuer once told to forget it", async () => {
    const { check } = scripted("VALID");
    const record = jwtRecord();
    await check.check(record, "t1", "iss");
    check.forget(record.clientId, "iss");
    expect(check.speculate(record.clientId, "iss", "t2")).toBeUndefined();
  });

  it("refuses, as INTERNAL, to check a token against a credential that is not jwtVerify", async () => {
    const { check, asked } = scripted("VALID");
    await expect(check.check(jwtRecord({ authType: "apiKey" }), "t1", "iss")).rejects.toMatchObject({
      code: "INTERNAL",
    });
    expect(asked).toEqual([]);
  });
});

describe("createJwtCheck: issuer lookup hashes", () => {
  it("hashes each issuer's lookup value once, and each issuer apart", () => {
    const hashed: string[] = [];
    const check = createJwtCheck({
      jwt: { verify: async () => "VALID" },
      open: () => ({ authType: "jwtVerify", secret: config }) as OpenedSecret,
      lookupHashes: (value) => {
        hashed.push(value);
        return [`k2.${value}`, `k1.${value}`];
      },
    });
    expect(check.issuerHashes("https://a.example")).toEqual([
      "k2.jwtVerify\nhttps://a.example",
      "k1.jwtVerify\nhttps://a.example",
    ]);
    expect(check.issuerHashes("https://a.example")).toEqual([
      "k2.jwtVerify\nhttps://a.example",
      "k1.jwtVerify\nhttps://a.example",
    ]);
    expect(check.issuerHashes("https://b.example")[0]).toBe("k2.jwtVerify\nhttps://b.example");
    expect(hashed).toEqual(["jwtVerify\nhttps://a.example", "jwtVerify\nhttps://b.example"]);
    expect(Object.isFrozen(check.issuerHashes("https://a.example"))).toBe(true);
  });
});

describe("unverifiedIssuer", () => {
  it("reads a string iss, and nothing else, from anything that decodes as a JWT", () => {
    const unsigned = (iss: unknown) => new UnsecuredJWT({ iss } as Record<string, unknown>).encode();
    expect(unverifiedIssuer(unsigned("https://issuer.example"))).toBe("https://issuer.example");
    expect(unverifiedIssuer(unsigned(42))).toBeNull();
    expect(unverifiedIssuer(new UnsecuredJWT({}).encode())).toBeNull();
    expect(unverifiedIssuer("not-a-jwt")).toBeNull();
    expect(unverifiedIssuer("a.b.c")).toBeNull();
  });
});

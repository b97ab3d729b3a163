// Proxy verification against its bare baselines, in the same run (issue 22's targets): apiKey on the
// memory store (1 and 100,000 credentials in the client; verifyProxyRequest, which answers the public
// view, and authorizeProxyRequest, the data plane's call) vs one HMAC-SHA256 plus one Map lookup
// (≥ 0.7×); jwtVerify with a cached JWKS (RS256, ES256) vs a bare jose.jwtVerify with the key in hand
// (≥ 0.9×).
import { createHmac, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import {
  type Actor,
  type CreateCredentialInput,
  createAddressPolicy,
  createCredentialService,
  createKeyring,
  createOutboundFetch,
} from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import { alternate } from "./measure.js";
import { printTable, type Row, ratio } from "./table.js";

const admin: Actor = { userId: "bench", clientIds: "*", scopes: ["resolve"] };
const gateway: Actor = { userId: "gateway", clientIds: "*", scopes: ["authz"] };
const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
const options = { rounds: 5, roundMs: 400, inFlight: 1 };

function service() {
  return createCredentialService({
    regions: { "us-east-1": memoryStore() },
    keyring,
    defaultRegion: "us-east-1",
    outboundFetch: createOutboundFetch({ policy: createAddressPolicy(["127.0.0.1"]) }),
  });
}

async function apiKeyRows(): Promise<Row[]> {
  const one = service();
  const many = service();
  const secret = (i: number) => ({ keyName: "X-Api-Key", keyValue: `key-${i}-${"x".repeat(24)}` });
  const body = (i: number): CreateCredentialInput => ({
    credentialName: `k${i}`,
    credentialType: "proxy",
    authType: "apiKey",
    secret: secret(i),
  });
  await one.create(admin, "client", body(0));
  for (let i = 0; i < 100_000; i++) await many.create(admin, "client", body(i));
  const headers = { "x-api-key": secret(0).keyValue, "user-agent": "bench", accept: "*/*" };

  // The bare cost: one keyed hash of the presented value, one Map lookup.
  const hmacKey = randomBytes(32);
  const map = new Map([
    [createHmac("sha256", hmacKey).update(headers["x-api-key"]).digest("base64url"), { id: 1 }],
  ]);
  const raw = () => map.get(createHmac("sha256", hmacKey).update(headers["x-api-key"]).digest("base64url"));

  const [raw0, one0, many0, authorize0] = await alternate(
    [
      raw,
      () => one.verifyProxyRequest(admin, "client", { headers }),
      () => many.verifyProxyRequest(admin, "client", { headers }),
      () => one.authorizeProxyRequest(gateway, "client", { headers }),
    ],
    options,
  );
  if (!raw0 || !one0 || !many0 || !authorize0) throw new Error("no measurement");
  const [rawOps, oneOps, manyOps] = [raw0.opsPerSecond, one0.opsPerSecond, many0.opsPerSecond];
  const authorizeOps = authorize0.opsPerSecond;
  const bench = "apiKey verification";
  return [
    { bench, subject: "raw HMAC-SHA256 + Map lookup", "ops/s": rawOps },
    { bench, subject: "credkit, 1 credential", "ops/s": oneOps, ...ratio(oneOps, rawOps, 0.7) },
    { bench, subject: "credkit, 100,000 credentials", "ops/s": manyOps, ...ratio(manyOps, rawOps, 0.7) },
    {
      bench,
      subject: "credkit authorizeProxyRequest, 1 credential",
      "ops/s": authorizeOps,
      ...ratio(authorizeOps, rawOps, 0.7),
    },
    {
      bench,
      subject: "100,000 vs 1 credential",
      "ops/s": manyOps,
      "vs baseline": `${(oneOps / manyOps).toFixed(2)}× slower`,
      target: `≤ 1.2× ${oneOps / manyOps <= 1.2 ? "met" : "MISSED"}`,
    },
  ];
}

async function jwtRows(alg: "RS256" | "ES256"): Promise<Row[]> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  const jwk = { ...(await exportJWK(publicKey)), kid: "bench", alg, use: "sig" };
  const server = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] }))).listen(0, "127.0.0.1");
  await once(server, "listening");
  const issuer = "https://issuer.bench";
  try {
    const svc = service();
    await svc.create(admin, "client", {
      credentialName: "jwt",
      credentialType: "proxy",
      authType: "jwtVerify",
      secret: {
        algorithms: [alg],
        issuer,
        audience: "api",
        jwksUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
      },
    });
    const token = await new SignJWT({ sub: "u" })
      .setProtectedHeader({ alg, kid: "bench" })
      .setIssuer(issuer)
      .setAudience("api")
      .setExpirationTime("1h")
      .sign(privateKey);
    const headers = { authorization: `Bearer ${token}` };
    const first = await svc.verifyProxyRequest(admin, "client", { headers }); // fills the JWKS cache
    if (!first.ok) throw new Error(`jwtVerify bench token did not verify: ${first.reason}`);
    const rows: Row[] = [];
    // Signature checks run on libuv's thread pool: one in flight measures latency, 16 throughput.
    for (const inFlight of [1, 16]) {
      const [bare, credkit] = await alternate(
        [
          () => jwtVerify(token, publicKey, { algorithms: [alg], issuer, audience: "api" }),
          () => svc.verifyProxyRequest(admin, "client", { headers }),
        ],
        { ...options, inFlight },
      );
      if (!bare || !credkit) throw new Error("no measurement");
      const bench = `jwtVerify ${alg}, ${inFlight} in flight`;
      rows.push(
        { bench, subject: "bare jose.jwtVerify, local key", "ops/s": bare.opsPerSecond },
        {
          bench,
          subject: "credkit, cached JWKS",
          "ops/s": credkit.opsPerSecond,
          ...ratio(credkit.opsPerSecond, bare.opsPerSecond, 0.9),
        },
      );
    }
    return rows;
  } finally {
    server.close();
  }
}

/** Verification throughput against the bare baselines; prints a table and returns its rows. */
export async function benchVerify(): Promise<Row[]> {
  // The JWT rows run first: the apiKey rows leave 100,000 records behind for the collector to sweep.
  const jwt = [...(await jwtRows("RS256")), ...(await jwtRows("ES256"))];
  const rows = [...(await apiKeyRows()), ...jwt];
  printTable(
    "Proxy verification: credkit vs bare baselines (median of 5 alternating rounds, sequential)",
    rows,
  );
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  await benchVerify();

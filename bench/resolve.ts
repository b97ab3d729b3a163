// resolveTargetAuth on the memory store, in the same run: a static bearer credential (decrypt once,
// then a cached secret per version) against an oauth2 client-credentials credential whose token is
// cached (encrypted in the record, opened once), with a bare memory-store read as the floor.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import {
  type Actor,
  createAddressPolicy,
  createCredentialService,
  createKeyring,
  createOutboundFetch,
} from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";
import { alternate } from "./measure.js";
import { printTable, type Row, ratio } from "./table.js";

const admin: Actor = { userId: "bench", clientIds: "*", scopes: ["resolve"] };
const options = { rounds: 5, roundMs: 400, inFlight: 1 };

/** Resolutions per second, cached oauth2 token vs static bearer; prints a table and returns its rows. */
export async function benchResolve(): Promise<Row[]> {
  let tokenRequests = 0;
  const tokenServer = createServer((_req, res) => {
    tokenRequests++;
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({ access_token: `bench-${randomBytes(24).toString("base64url")}`, expires_in: 3600 }),
    );
  }).listen(0, "127.0.0.1");
  await once(tokenServer, "listening");
  try {
    const store = memoryStore();
    const service = createCredentialService({
      regions: { "us-east-1": store },
      keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
      defaultRegion: "us-east-1",
      outboundFetch: createOutboundFetch({ policy: createAddressPolicy(["127.0.0.1"]) }),
    });
    const bearer = await service.create(admin, "client", {
      credentialName: "static",
      credentialType: "target",
      authType: "bearer",
      secret: { token: `static-${"x".repeat(40)}` },
    });
    const oauth2 = await service.create(admin, "client", {
      credentialName: "oauth2",
      credentialType: "target",
      authType: "oauth2",
      secret: {
        grantType: "client_credentials",
        tokenUrl: `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`,
        clientId: "bench",
        clientSecret: "bench-secret",
      },
    });
    await service.resolveTargetAuth(admin, "client", oauth2.credentialId); // fetches and caches the token

    const [bare, staticRun, cachedRun] = await alternate(
      [
        () => store.get("client", bearer.credentialId),
        () => service.resolveTargetAuth(admin, "client", bearer.credentialId),
        () => service.resolveTargetAuth(admin, "client", oauth2.credentialId),
      ],
      options,
    );
    if (!bare || !staticRun || !cachedRun) throw new Error("no measurement");
    if (tokenRequests !== 1) throw new Error(`the cached token was fetched ${tokenRequests} times`);
    const bench = "resolveTargetAuth, memory store";
    const ms = (value: number) => Number(value.toFixed(4));
    const rows: Row[] = [
      {
        bench,
        subject: "bare memory store get",
        "ops/s": bare.opsPerSecond,
        "p50 ms": ms(bare.p50),
        "p99 ms": ms(bare.p99),
      },
      {
        bench,
        subject: "static bearer (baseline)",
        "ops/s": staticRun.opsPerSecond,
        "p50 ms": ms(staticRun.p50),
        "p99 ms": ms(staticRun.p99),
      },
      {
        bench,
        subject: "oauth2 client_credentials, cached token",
        "ops/s": cachedRun.opsPerSecond,
        "p50 ms": ms(cachedRun.p50),
        "p99 ms": ms(cachedRun.p99),
        ...ratio(cachedRun.opsPerSecond, staticRun.opsPerSecond, 0.8),
      },
    ];
    printTable(
      "Target resolution: cached oauth2 token vs static bearer (median of 5 alternating rounds, sequential)",
      rows,
    );
    return rows;
  } finally {
    tokenServer.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  await benchResolve();

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createKeyring, type RecordIdentity } from "@credkit/core";
import { median, printTable, type Row, ratio } from "./table.js";

const identity: RecordIdentity = {
  clientId: "bench-client",
  credentialId: "us-east-1.AAAAAAAAAAAAAAAAAAAAAA",
  credentialType: "target",
  authType: "oauth2",
  region: "us-east-1",
};
const secret = JSON.stringify({
  grantType: "client_credentials",
  clientId: "abc",
  clientSecret: randomBytes(24).toString("hex"),
});

function opsPerSecond(iterations: number, fn: () => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return iterations / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** credkit's envelope encrypt+decrypt vs the same AES-256-GCM round trip in raw node:crypto. */
export async function benchCrypto(iterations = 50_000): Promise<Row[]> {
  const keyring = createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
  const key = randomBytes(32);
  const aad = Buffer.from(JSON.stringify(identity));
  const raw = () => {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(aad);
    const ct = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    Buffer.concat([decipher.update(ct), decipher.final()]).toString("utf8");
  };
  const core = () => {
    keyring.decrypt(keyring.encrypt(secret, identity), identity);
  };
  const rawRuns: number[] = [];
  const coreRuns: number[] = [];
  opsPerSecond(5_000, raw); // warm-up
  opsPerSecond(5_000, core);
  for (let round = 0; round < 5; round++) {
    rawRuns.push(opsPerSecond(iterations, raw));
    coreRuns.push(opsPerSecond(iterations, core));
  }
  const rawOps = median(rawRuns);
  const coreOps = median(coreRuns);
  const rows: Row[] = [
    { bench: "encrypt+decrypt", subject: "raw node:crypto AES-256-GCM", "ops/s": rawOps },
    {
      bench: "encrypt+decrypt",
      subject: "credkit keyring (ck1 envelope)",
      "ops/s": coreOps,
      ...ratio(coreOps, rawOps),
    },
  ];
  printTable("Crypto: credkit envelope vs raw node:crypto (median of 5 rounds)", rows);
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchCrypto();

import { createSign, generateKeyPairSync, type KeyObject, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** An RS256 key with its kid (node:crypto only: the server app does not depend on jose). */
export function rsaKey(kid = randomUUID()) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A compact RS256 JWS of `claims` under `key`, with `kid` in the header. */
export function signJwt(
  key: { kid: string; privateKey: KeyObject },
  claims: Record<string, unknown>,
): string {
  const input = `${b64({ alg: "RS256", typ: "JWT", kid: key.kid })}.${b64(claims)}`;
  const signature = createSign("RSA-SHA256").update(input).sign(key.privateKey).toString("base64url");
  return `${input}.${signature}`;
}

/** A JWKS endpoint on a free loopback port, serving `keys`, that can be taken down. */
export async function startJwksServer(keys: object[]): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Seconds since the epoch. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { type MutableResponse, OAuth2Issuer, OAuth2Service } from "oauth2-mock-server";

/** One token request as the mock server parsed it. */
export interface SeenTokenRequest {
  body: Record<string, string>;
  authorization: string | undefined;
}

/** A real OAuth 2.0 server (oauth2-mock-server) on a loopback port, counting its token requests. */
export interface MockOAuth {
  /** `http://127.0.0.1:<port>` */
  base: string;
  tokenUrl: string;
  authorizeUrl: string;
  service: OAuth2Service;
  /** Every POST /token that arrived, counted before it is answered. */
  tokenRequests(): number;
  /** Token requests that were answered, with their form body and Authorization header. */
  seen: SeenTokenRequest[];
  /** Holds the n-th token request (1-based) `delay(n)` ms before answering it (to make callers overlap). */
  setTokenDelay(delay: (n: number) => number): void;
  /** Applies `change` to the next token response (or every one with `always`); returns how to stop. */
  onTokenResponse(
    change: (response: MutableResponse, body: Record<string, string>) => void,
    always?: boolean,
  ): () => void;
  stop(): Promise<void>;
}

/** Starts the mock OAuth server on 127.0.0.1 with one RS256 signing key. */
export async function startMockOAuth(): Promise<MockOAuth> {
  const issuer = new OAuth2Issuer();
  await issuer.keys.generate("RS256");
  const service = new OAuth2Service(issuer);
  const handler = service.requestHandler;
  let count = 0;
  let delayFor = (_n: number) => 0;
  const seen: SeenTokenRequest[] = [];
  service.on(
    "beforeResponse",
    (_response: MutableResponse, req: IncomingMessage & { body: Record<string, string> }) => {
      seen.push({ body: { ...req.body }, authorization: req.headers.authorization });
    },
  );
  const server = createServer((req, res) => {
    if (req.method === "POST" && req.url?.startsWith("/token")) {
      const ms = delayFor(++count);
      if (ms > 0) {
        setTimeout(() => handler(req, res), ms);
        return;
      }
    }
    handler(req, res);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer.url = base;
  return {
    base,
    tokenUrl: `${base}/token`,
    authorizeUrl: `${base}/authorize`,
    service,
    tokenRequests: () => count,
    seen,
    setTokenDelay: (delay) => {
      delayFor = delay;
    },
    onTokenResponse(change, always = false) {
      const listener = (response: MutableResponse, req: IncomingMessage & { body: Record<string, string> }) =>
        change(response, req.body);
      if (always) service.on("beforeResponse", listener);
      else service.once("beforeResponse", listener);
      return () => service.off("beforeResponse", listener);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Plays the end user at the authorization server: a plain GET of the authorization URL, not following
 * the redirect, and returns the `code` and `state` of the Location it redirects to.
 */
export async function authorizeAtMock(
  authorizationUrl: string,
): Promise<{ code: string; state: string; location: URL }> {
  const response = await fetch(authorizationUrl, { redirect: "manual" });
  const location = response.headers.get("location");
  if (response.status !== 302 || !location) throw new Error(`authorize answered ${response.status}`);
  const url = new URL(location);
  return {
    code: url.searchParams.get("code") ?? "",
    state: url.searchParams.get("state") ?? "",
    location: url,
  };
}

import { randomBytes } from "node:crypto";
import {
  type CredentialService,
  createAddressPolicy,
  createCredentialService,
  createOutboundFetch,
} from "@credkit/core";
import {
  createCredkitRouter,
  createHealthRouter,
  tokenAuthenticator,
  type UserToken,
} from "@credkit/express";
import express, { type Express } from "express";
import type { Logger } from "pino";
import type { ServerConfig } from "./config.js";
import { keyringFor } from "./keys.js";
import { openStores } from "./stores.js";

/** A wired, not yet listening, credkit server. */
export interface CredkitApp {
  app: Express;
  service: CredentialService;
  /** The token generated at start when none was configured (print it once), else null. */
  generatedToken: string | null;
  /** True when the keyring was generated for this process only (memory stores, no key configured). */
  ephemeralKey: boolean;
  close(): Promise<void>;
}

/** Wires stores, keyring, service and routes from a validated configuration. */
export async function createApp(config: ServerConfig, logger: Logger): Promise<CredkitApp> {
  const { keyring, ephemeral } = await keyringFor(config);
  const stores = await openStores(config.regions, logger);
  const service = createCredentialService({
    regions: stores.regions,
    keyring,
    ...(config.defaultRegion ? { defaultRegion: config.defaultRegion } : {}),
    outboundFetch: createOutboundFetch({ policy: createAddressPolicy(config.outboundAllowHosts) }),
  });

  let generatedToken: string | null = null;
  let tokens: UserToken[];
  if (config.tokens) {
    tokens = config.tokens;
  } else {
    generatedToken = randomBytes(24).toString("base64url");
    tokens = [{ token: generatedToken, userId: "admin", clientIds: "*" }];
  }

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.on("finish", () => {
      // Path only: the query string is not needed to follow a request and headers are never logged.
      logger.info(
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        "request",
      );
    });
    next();
  });
  app.use(createHealthRouter(service));
  app.use(
    "/api",
    createCredkitRouter({
      service,
      authenticate: tokenAuthenticator(tokens),
      basePath: "/api",
      bodyLimit: config.bodyLimit,
      onError: (error, status) => logger.error({ err: error, status }, "request failed"),
    }),
  );
  app.use((_req, res) => {
    res.status(404).json({ message: "No such endpoint", code: "NOT_FOUND" });
  });

  return { app, service, generatedToken, ephemeralKey: ephemeral, close: () => stores.close() };
}

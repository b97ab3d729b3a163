// Express 5: the handler is one middleware; Express strips the mount path.
import { type CredkitHandlerOptions, createCredkitRouter, createHealthRouter } from "@credkit/express";
import express, { type Express } from "express";

/** An Express app serving the credential API under /api, health beside it. */
export function expressApp(options: CredkitHandlerOptions): Express {
  const app = express();
  app.use("/api", createCredkitRouter(options));
  app.use(createHealthRouter(options.service));
  return app;
}

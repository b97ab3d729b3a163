// Hono on Node (@hono/node-server): the raw request and response are in the context's bindings.
import { type CredkitHandlerOptions, createCredkitHandler } from "@credkit/express";
import type { HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { Hono } from "hono";

/** A Hono app (served by `@hono/node-server`) with the credential API under /api. */
export function honoApp(options: CredkitHandlerOptions): Hono<{ Bindings: HttpBindings }> {
  const handle = createCredkitHandler({ ...options, prefix: "/api" });
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.all("/api/*", (c) => {
    const { incoming, outgoing } = c.env;
    // Hono waits for a Response; the handler writes to the raw one, so say it was sent once it is.
    return new Promise<Response>((resolve) => {
      outgoing.once("close", () => resolve(RESPONSE_ALREADY_SENT));
      handle(incoming, outgoing);
    });
  });
  return app;
}

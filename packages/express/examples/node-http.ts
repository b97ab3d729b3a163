// Bare node:http: the handler serves the request itself; `prefix` is where the API lives.
import { createServer, type Server } from "node:http";
import { type CredkitHandlerOptions, createCredkitHandler } from "@credkit/express";

/** A node:http server serving the credential API under /api (any other path: a JSON 404). */
export function nodeHttpServer(options: CredkitHandlerOptions): Server {
  const handle = createCredkitHandler({ ...options, prefix: "/api" });
  return createServer((req, res) => handle(req, res));
}

// Fastify 5: a catch-all route under /api hands the raw request and response to the handler.
import { type CredkitHandlerOptions, createCredkitHandler } from "@credkit/express";
import Fastify, { type FastifyInstance } from "fastify";

/** A Fastify app serving the credential API under /api. */
export function fastifyApp(options: CredkitHandlerOptions): FastifyInstance {
  const handle = createCredkitHandler({ ...options, prefix: "/api" });
  const app = Fastify();
  app.register(async (api) => {
    // The handler reads (and limits, and checks) the body itself: Fastify must leave the stream unread.
    api.removeAllContentTypeParsers();
    api.addContentTypeParser("*", (_request, _payload, done) => done(null));
    api.all("/api/*", (request, reply) => {
      // From here on the raw response is the handler's: Fastify sends nothing of its own.
      reply.hijack();
      handle(request.raw, reply.raw);
    });
  });
  return app;
}

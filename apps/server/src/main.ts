import cluster from "node:cluster";
import type { Server } from "node:http";
import { isCredkitError } from "@credkit/core";
import { createApp } from "./app.js";
import { loadConfig } from "./config.js";
import { listenFailure, listenHttp } from "./http/listen.js";
import { createLogger } from "./logger.js";
import { isWorkersPrimary, runWorkers } from "./workers.js";

async function main(): Promise<void> {
  const config = loadConfig();
  // With several workers every line names its process: `primary`, or the worker's id.
  const worker = cluster.isWorker
    ? cluster.worker?.id
    : config.workers > 1
      ? ("primary" as const)
      : undefined;
  const logger = createLogger(config.log.level, undefined, {
    format: config.log.format,
    ...(worker === undefined ? {} : { worker }),
  });
  if (isWorkersPrimary(config.workers)) {
    runWorkers({ count: config.workers, shutdownTimeoutMs: config.http.shutdownTimeoutMs, logger });
    return;
  }
  const credkit = await createApp(config, logger);
  if (credkit.ephemeralKey) {
    logger.warn(
      "No CREDKIT_MASTER_KEY: using a key generated for this process. Credentials live in memory and are lost when it stops.",
    );
  }

  const server: Server = await listenHttp(credkit.app, config.http.port, config.http.host ?? "", "PORT");
  // Handlers before the banner: a supervisor (or a test) may send SIGTERM the moment it reads it.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      logger.warn("shutdown timed out; closing remaining connections");
      server.closeAllConnections();
      credkit.authz?.closeAllConnections();
    }, config.http.shutdownTimeoutMs);
    force.unref();
    const authzClosed = credkit.authz?.close() ?? Promise.resolve();
    server.close(() => {
      void authzClosed
        .then(() => credkit.close())
        .finally(() => {
          logger.info("stopped");
          process.exit(0);
        });
    });
    server.closeIdleConnections();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.http.port;
  // Both ports bound before either banner: "listening" is never printed by a process about to exit
  // because its second port is taken.
  if (credkit.authz && config.authz.port !== undefined) {
    const { port: wanted, host: authzHost } = config.authz;
    const authzPort = await credkit.authz
      .listen(wanted, authzHost)
      .catch((error: unknown) =>
        Promise.reject(listenFailure(error, "CREDKIT_AUTHZ_PORT", wanted, authzHost)),
      );
    logger.info({ port: authzPort, host: authzHost }, "credkit authz listening");
    process.stderr.write(`credkit authz listening on http://${authzHost}:${authzPort}/authz/\n`);
  }
  logger.info({ port, regions: credkit.service.regions.length }, "credkit listening");
  // Lines for a person go to stderr: stdout carries only JSON log lines, for whatever parses them.
  if (credkit.generatedToken) {
    // The one deliberate print of a secret: without it nobody could call the server. Set
    // CREDKIT_USER_TOKENS to choose tokens yourself.
    process.stderr.write(
      `No CREDKIT_USER_TOKENS set; generated an admin token for all clients:\n  ${credkit.generatedToken}\n`,
    );
  }
  process.stderr.write(
    `credkit listening on http://${bannerHost(config.http.host)}:${port} (API under /api, docs at /api/docs)\n`,
  );
}

/** The host a browser can reach the API at: the bound address when one was set (not "localhost"). */
function bannerHost(host: string | undefined): string {
  if (!host || host === "0.0.0.0" || host === "::") return "localhost";
  return host.includes(":") ? `[${host}]` : host;
}

main().catch((error: unknown) => {
  // Bad configuration exits 2 with the message naming each variable at fault; anything else exits 1.
  const bad = isCredkitError(error, "CONFIGURATION_ERROR");
  const message = error instanceof Error ? error.message : "unknown error";
  process.stderr.write(`credkit: ${bad ? "" : "failed to start: "}${message}\n`);
  process.exit(bad ? 2 : 1);
});

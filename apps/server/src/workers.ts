import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import { serveClusterMetrics } from "./metrics.js";

/** Options of {@link runWorkers}. */
export interface WorkersOptions {
  count: number;
  /** Milliseconds the workers get to finish their requests after SIGTERM before they are killed. */
  shutdownTimeoutMs: number;
  logger: Logger;
}

const MAX_RESTART_DELAY_MS = 5000;

/**
 * The primary process of `CREDKIT_WORKERS > 1`: forks `count` workers that each run the whole server
 * and share its ports (node:cluster hands connections out), replaces a worker that dies, and on
 * SIGTERM/SIGINT forwards SIGTERM to every worker (each drains its requests) and exits once all have.
 * If no worker ever started listening and one exits, the configuration or the store is at fault, so
 * the primary exits with that worker's code instead of restarting it forever.
 */
export function runWorkers(options: WorkersOptions): void {
  const { count, logger } = options;
  let stopping = false;
  let everListened = false;
  let failuresInARow = 0;

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.once("listening", () => {
      everListened = true;
      failuresInARow = 0;
    });
    return worker;
  };

  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info("all workers stopped");
        // 0 after SIGTERM; a failed start's code (set below) when a worker could not start.
        process.exit();
      }
      return;
    }
    if (!everListened) {
      logger.error({ code, signal }, "a worker failed to start; stopping");
      stopping = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill("SIGTERM");
      process.exitCode = typeof code === "number" && code !== 0 ? code : 1;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit();
      return;
    }
    // Back off when workers die one after another, so a crash loop does not spin the CPU.
    failuresInARow++;
    const delay = Math.min(100 * 2 ** (failuresInARow - 1), MAX_RESTART_DELAY_MS);
    logger.warn({ pid: worker.process.pid, code, signal, restartInMs: delay }, "worker died; restarting it");
    setTimeout(() => {
      if (!stopping) fork();
    }, delay).unref();
  });

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: count }, "shutting down workers");
    const alive = Object.values(cluster.workers ?? {});
    if (alive.length === 0) process.exit(0);
    for (const worker of alive) worker?.process.kill("SIGTERM");
    // Each worker has its own shutdown timeout; this one only catches a worker that hangs past it.
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGKILL");
    }, options.shutdownTimeoutMs + 5000).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  serveClusterMetrics();
  logger.info({ workers: count }, "starting worker processes");
  for (let i = 0; i < count; i++) fork();
}

/** True in the primary process when the configuration asks for several workers. */
export function isWorkersPrimary(workers: number): boolean {
  return workers > 1 && cluster.isPrimary;
}

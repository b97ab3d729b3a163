import cluster from "node:cluster";
import {
  addStoreHooks,
  type CredentialStore,
  type OutboundFetch,
  type StoreOperationEvent,
  type VerificationEvent,
} from "@credkit/core";
import type { Request, RequestHandler, Response } from "express";
import { AggregatorRegistry, Counter, collectDefaultMetrics, Registry } from "prom-client";
import { twoLabelHistogram } from "./two-label-histogram.js";

/** The server's Prometheus metrics and the helpers that feed them. */
export type Metrics = ReturnType<typeof createMetrics>;

/**
 * A registry with credkit's metrics: HTTP requests by route and status with latency, store operation
 * latency and errors by store, verification outcomes and outbound (token/JWKS) fetches. Labels are
 * route patterns and codes only: never ids, tokens or secrets.
 */
export function createMetrics() {
  const registry = new Registry();
  // The event-loop delay is sampled every 100 ms, not prom-client's 10: at 10 ms an idle server spent
  // about 10 ms of CPU per second on the sampling timer alone (2 at 100 ms); a delay still shows in full.
  collectDefaultMetrics({ register: registry, prefix: "credkit_", eventLoopMonitoringPrecision: 100 });
  const requests = new Counter({
    name: "credkit_http_requests_total",
    help: "HTTP requests by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  // Observed on every request: the cheap kind, as the store's below.
  const latency = twoLabelHistogram({
    name: "credkit_http_request_duration_seconds",
    help: "HTTP request latency by method and route pattern",
    labelNames: ["method", "route"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // Observed on every store operation, the data plane's reads included: the cheap kind.
  const storeLatency = twoLabelHistogram({
    name: "credkit_store_operation_duration_seconds",
    help: "Store operation latency by store and operation",
    labelNames: ["store", "operation"],
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: "credkit_store_errors_total",
    help: "Store operations that failed, by store, operation and error code",
    labelNames: ["store", "operation", "code"] as const,
    registers: [registry],
  });
  const verifications = new Counter({
    name: "credkit_verifications_total",
    help: "Proxy request verifications by outcome (allowed, degraded, or the failure reason)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const outbound = new Counter({
    name: "credkit_outbound_requests_total",
    help: "Outbound token and JWKS fetches by outcome (HTTP status class, or the error code)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });

  return {
    registry,

    /** Counts a failure of a store used outside the credential stores (the rate limiter's counter). */
    storeError(store: string, operation: string, code: string): void {
      storeErrors.inc({ store, operation, code });
    },

    /** Counts and times an answered HTTP request (a request observer, told its route pattern). */
    observeRequest(req: Request, res: Response, seconds: number, route: string): void {
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
      latency.observe(req.method, route, seconds);
    },

    /**
     * Times every operation of `stores` and counts the failures, by the stores' own operation hook
     * (each distinct store once; a method added to the store later is timed with no change here).
     */
    observeStores(stores: Iterable<CredentialStore>): void {
      const hooks = {
        operation({ store, operation, seconds, errorCode }: StoreOperationEvent) {
          storeLatency.observe(store, operation, seconds);
          if (errorCode !== undefined) storeErrors.inc({ store, operation, code: errorCode });
        },
      };
      for (const store of new Set(stores)) addStoreHooks(store, hooks);
    },

    /** Counts one answer of `verifyProxyRequest` by outcome (the service's `verification` hook). */
    verification(event: VerificationEvent): void {
      verifications.inc({ outcome: event.outcome });
    },

    /** An outbound fetch with its outcomes counted; every argument is forwarded as given. */
    outbound(fetch: OutboundFetch): OutboundFetch {
      return async (...args) => {
        try {
          const response = await fetch(...args);
          outbound.inc({ outcome: `${Math.floor(response.status / 100)}xx` });
          return response;
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          outbound.inc({ outcome: typeof code === "string" ? code : "ERROR" });
          throw error;
        }
      };
    },

    /**
     * `GET /metrics` in the Prometheus text format. In a worker of `CREDKIT_WORKERS` (one port shared by all), each scrape would reach
     * one worker at random and its counters would seem to jump back and forth; the worker asks the
     * primary instead, which sums every worker's registry (see {@link serveClusterMetrics}).
     */
    endpoint(): RequestHandler {
      if (cluster.isWorker) {
        AggregatorRegistry.setRegistries([registry]);
        new AggregatorRegistry(); // answers the primary's requests for this worker's metrics
      }
      return async (_req, res) => {
        res.setHeader("Cache-Control", "no-store");
        if (!cluster.isWorker) {
          res.setHeader("Content-Type", registry.contentType);
          res.end(await registry.metrics());
          return;
        }
        try {
          const text = await askPrimaryForMetrics();
          res.setHeader("Content-Type", registry.contentType);
          res.end(text);
        } catch {
          res.status(503).setHeader("Retry-After", "1");
          res.json({ message: "The workers' metrics could not be collected", code: "METRICS_UNAVAILABLE" });
        }
      };
    },
  };
}

const METRICS_REQUEST = "credkit:metrics-request";
const METRICS_ANSWER = "credkit:metrics-answer";
let metricsRequests = 0;

interface MetricsMessage {
  type: string;
  id: number;
  text?: string;
  failed?: boolean;
}
const isMetricsMessage = (message: unknown, type: string): message is MetricsMessage =>
  typeof message === "object" && message !== null && (message as MetricsMessage).type === type;

/** In a worker: the metrics of every worker, summed by the primary. */
function askPrimaryForMetrics(): Promise<string> {
  const id = ++metricsRequests;
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (!isMetricsMessage(message, METRICS_ANSWER) || message.id !== id) return;
      clearTimeout(timer);
      process.off("message", onMessage);
      if (message.failed || message.text === undefined) reject(new Error("metrics unavailable"));
      else resolve(message.text);
    };
    // prom-client gives up on a silent worker after 5 s; this is only the backstop behind it.
    const timer = setTimeout(() => {
      process.off("message", onMessage);
      reject(new Error("metrics timed out"));
    }, 7000);
    process.on("message", onMessage);
    process.send?.({ type: METRICS_REQUEST, id });
  });
}

/**
 * In the primary of `CREDKIT_WORKERS`: answers a worker's `/metrics` with the sum over all workers
 * (counters and histograms added; prom-client's own rules for the process gauges).
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on("message", (worker, message: unknown) => {
    if (!isMetricsMessage(message, METRICS_REQUEST)) return;
    const answer = (fields: Partial<MetricsMessage>) => {
      if (worker.isConnected()) worker.send({ type: METRICS_ANSWER, id: message.id, ...fields });
    };
    aggregator.clusterMetrics().then(
      (text) => answer({ text }),
      () => answer({ failed: true }),
    );
  });
}

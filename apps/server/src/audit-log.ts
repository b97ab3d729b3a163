import type { AuditEvent, AuditSink } from "@credkit/core";
import type { Logger } from "pino";
import type { RequestObserver } from "./http/request-context.js";

/** The server's audit sink: one structured log line (`msg: "audit"`) per event. */
export function logAuditSink(logger: Logger): AuditSink {
  return {
    record(event: AuditEvent) {
      logger.info({ audit: event }, "audit");
    },
  };
}

const CLIENT_IN_PATH = /^\/api\/clients\/([^/?]+)/;

/** Records every 401 and 403 under the API as an `authorization.failed` audit event (a request observer). */
export function auditAuthorizationFailures(sink: AuditSink): RequestObserver {
  return (req, res) => {
    if (res.statusCode !== 401 && res.statusCode !== 403) return;
    const clientId = CLIENT_IN_PATH.exec(req.originalUrl)?.[1];
    const actor = res.locals.actor as { userId?: string } | undefined;
    sink.record({
      time: new Date().toISOString(),
      action: "authorization.failed",
      outcome: "failure",
      code: res.statusCode === 401 ? "UNAUTHORIZED" : "FORBIDDEN",
      requestId: String(res.locals.requestId),
      ...(actor?.userId ? { userId: actor.userId } : {}),
      ...(clientId ? { clientId: decodeURIComponent(clientId) } : {}),
    });
  };
}

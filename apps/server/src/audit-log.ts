import type { AuditEvent, AuditSink } from "@credkit/core";
import type { Logger } from "pino";

/** The server's audit sink: one structured log line (`msg: "audit"`) per event. */
export function logAuditSink(logger: Logger): AuditSink {
  return {
    record(event: AuditEvent) {
      logger.info({ audit: event }, "audit");
    },
  };
}

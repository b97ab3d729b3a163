import { type AuditSink, authorizationFailedEvent, isCredkitError, isValidClientId } from "@credkit/core";
import type { ErrorRequestHandler } from "express";

const CLIENT_IN_PATH = /^\/clients\/([^/]+)/;

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * Records each refused authorization (UNAUTHORIZED → 401, FORBIDDEN → 403) passing through the router
 * as an `authorization.failed` audit event, then hands the error on to be answered.
 */
export function auditRefusals(sink: AuditSink): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (isCredkitError(error) && (error.code === "UNAUTHORIZED" || error.code === "FORBIDDEN")) {
      const actor = res.locals.actor as { userId?: string } | undefined;
      const requestId = res.locals.requestId;
      // Router-level handlers see no route params: the client is read from the path under the mount.
      const match = CLIENT_IN_PATH.exec(req.path)?.[1];
      // Only a well-formed id is recorded: the path is anyone's input (kilobytes, line breaks) before auth.
      const decoded = match === undefined ? undefined : safeDecode(match);
      const clientId = decoded !== undefined && isValidClientId(decoded) ? decoded : undefined;
      sink.record(
        authorizationFailedEvent(error.code, {
          userId: actor?.userId,
          clientId,
          requestId: typeof requestId === "string" ? requestId : undefined,
        }),
      );
    }
    next(error);
  };
}

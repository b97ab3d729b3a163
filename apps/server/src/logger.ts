import pino, { type Logger } from "pino";

/**
 * How log lines are written: `json` (the default) has level names (`"level":"info"`) and ISO-8601 UTC
 * times (`"time":"2026-01-01T00:00:00.000Z"`), readable as they are; `pino` has pino's numbers (level
 * 30, epoch milliseconds), which pino-pretty and other pino tooling expect.
 */
export type LogFormat = "json" | "pino";

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Default `json`. */
  format?: LogFormat;
  /** Set on every line as `worker`: the cluster worker's id, or `primary`; absent with one process. */
  worker?: number | "primary";
}

/**
 * Structured JSON logs. Redaction is belt and braces: credkit never hands a secret to the logger, but
 * should a header or body ever be attached by mistake, these paths are censored.
 */
export function createLogger(
  level: string,
  destination?: pino.DestinationStream,
  options: LoggerOptions = {},
): Logger {
  const readable = (options.format ?? "json") === "json";
  return pino(
    {
      level,
      base: { service: "credkit", ...(options.worker === undefined ? {} : { worker: options.worker }) },
      ...(readable
        ? {
            timestamp: pino.stdTimeFunctions.isoTime,
            formatters: { level: (label: string) => ({ level: label }) },
          }
        : {}),
      redact: {
        paths: [
          "req.headers.authorization",
          "req.headers.cookie",
          "*.secret",
          "*.token",
          "*.password",
          "*.keyValue",
          "*.clientSecret",
        ],
        censor: "[redacted]",
      },
    },
    // Asynchronous writes keep logging off the request path; pino flushes them when the process exits.
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * A child of `logger` that skips the redaction pass, for the lines built only from fixed, non-secret
 * fields (the request line, the audit line): their shape is redacted by construction, so they need not
 * pay for the path walk every other line gets.
 */
export function fixedFieldLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [], censor: "[redacted]" } });
}

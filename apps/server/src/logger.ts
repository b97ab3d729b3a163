import pino, { type Logger } from "pino";

/**
 * Structured JSON logs. Redaction is belt and braces: credkit never hands a secret to the logger, but
 * should a header or body ever be attached by mistake, these paths are censored.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "credkit" },
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

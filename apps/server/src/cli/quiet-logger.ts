import type { Logger } from "pino";
import { createLogger } from "../logger.js";

/**
 * A logger for the stores the CLI opens: nothing is printed (the CLI reports in its own words), but the
 * last connection error code a client reported (ECONNREFUSED, ENOTFOUND, ...) is kept to explain a failure.
 */
export function quietLogger(): { logger: Logger; lastErrorCode: () => string | null } {
  let code: string | null = null;
  const logger = createLogger("warn", {
    write(line: string) {
      try {
        const entry = JSON.parse(line) as { code?: unknown };
        if (typeof entry.code === "string") code = entry.code;
      } catch {
        // Not JSON: nothing to learn from it.
      }
    },
  });
  return { logger, lastErrorCode: () => code };
}

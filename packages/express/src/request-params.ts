import type { IncomingMessage } from "node:http";
import { invalid, invalidCursor, MAX_PAGE_SIZE } from "@credkit/core";

/**
 * Reads a list flag (`includeTemporary`, `includeExpired`): `true`/`false` in any letter case (Python
 * sends `False`); absent = false.
 */
export function parseListFlag(name: "includeTemporary" | "includeExpired", value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  throw invalid([{ path: name, message: "must be true or false" }]);
}

/** Reads `limit` (digits; core checks the range 1..{@link MAX_PAGE_SIZE}) or undefined. */
export function parseLimit(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string" && /^\d{1,4}$/.test(value)) return Number(value);
  throw invalid([{ path: "limit", message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` }]);
}

/** Reads `cursor` or undefined; core's cursor codec judges it (length, form: one rule, one error). */
export function parseCursor(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  throw invalidCursor(); // a repeated ?cursor= arrives as an array
}

/**
 * Reads `If-Match`: a version number, bare or as an ETag (`"3"`, `W/"3"`). `*` means "any existing
 * version", which is what a plain update does anyway, so it is treated as absent.
 */
export function parseIfMatch(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "*") return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(value);
  if (!match) throw invalid([{ path: "If-Match", message: 'must be a credential version, e.g. 3 or "3"' }]);
  return Number(match[1]);
}

/**
 * True when the body is to be read as JSON: its Content-Type is `application/json` or
 * `application/<x>+json`, or it has none (some HTTP clients send a JSON string without one; reading it
 * is kinder than refusing it).
 */
export function isJsonRequest(req: IncomingMessage): boolean {
  const header = req.headers["content-type"];
  // The header almost every client sends, taken without a split or a regex.
  if (header === undefined || header === "application/json") return true;
  const type = (header.split(";")[0] ?? "").trim().toLowerCase();
  return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

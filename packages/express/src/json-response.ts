import type { ServerResponse } from "node:http";

/** No headers beyond the body's own. */
const NONE: readonly string[] = [];

/**
 * Answers `value` as JSON with its length, written in one `end` (no framework's `res.json`: the handler
 * runs on bare `node:http` as well, and a body known whole needs no chunking). `headers` (name, value,
 * name, value…) go out before the body's own two.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: readonly string[] = NONE,
): void {
  const body = JSON.stringify(value);
  writeWhole(res, status, headers, "application/json; charset=utf-8", body);
}

/** Answers an HTML page (the docs page, the OAuth callback's page), with `headers` as {@link sendJson}. */
export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  headers: readonly string[] = NONE,
): void {
  writeWhole(res, status, headers, "text/html; charset=utf-8", html);
}

/**
 * Every header in one `writeHead`, not one `setHeader` each: a response nobody set a header on yet
 * then stores no header table at all (bench/http.ts, GET). Headers a host or an earlier step set stay:
 * `writeHead` merges them, the ones given here winning, as `setHeader` would.
 */
function writeWhole(
  res: ServerResponse,
  status: number,
  headers: readonly string[],
  type: string,
  body: string,
): void {
  res.writeHead(status, [
    ...headers,
    "Content-Type",
    type,
    "Content-Length",
    String(Buffer.byteLength(body)),
  ]);
  res.end(body);
}

import type { ServerResponse } from "node:http";

/**
 * Answers `value` as JSON with its length, written in one `end` (no framework's `res.json`: the handler
 * runs on bare `node:http` as well, and a body known whole needs no chunking).
 */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}

/** Answers an HTML page (the docs page, the OAuth callback's page). */
export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(html));
  res.end(html);
}

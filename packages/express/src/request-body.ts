import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { CredkitError, checkJsonBounds, invalid } from "@credkit/core";
import { isJsonRequest } from "./request-params.js";

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** A body limit as bytes: a number, or a string such as "100kb" (the units body-parser accepts). */
export function limitInBytes(limit: number | string): number {
  if (typeof limit === "number") return limit;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(limit);
  if (!match) throw new TypeError(`bodyLimit must be a number of bytes or e.g. "100kb", got "${limit}"`);
  return Math.floor(Number(match[1]) * (UNITS[(match[2] ?? "b").toLowerCase()] ?? 1));
}

const tooLarge = () => new CredkitError("PAYLOAD_TOO_LARGE", "The request body is larger than the limit");
const notJson = () =>
  new CredkitError("VALIDATION_ERROR", "The request body is not valid JSON", {
    errors: [{ path: "body", message: "must be valid JSON" }],
  });
/** A body that could not be read whole (a broken gzip stream, a client gone): the field is the body. */
const unreadable = (message: string, what: string) =>
  new CredkitError("VALIDATION_ERROR", message, { errors: [{ path: "body", message: what }] });
const unreadableBody = () => unreadable("The request body could not be read", "could not be read");
const cutBody = () => unreadable("The request body was not sent whole", "was not sent whole");
const unsupported = (message: string) => new CredkitError("UNSUPPORTED_MEDIA_TYPE", message);

/** One decoder for every body: `decode` without `stream` starts afresh each call; fatal refuses bad bytes. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A request a host parser read already (Express's `express.json()` before the handler, say). */
interface ParsedByHost {
  body?: unknown;
  _body?: boolean;
}

/** The stream of the body's bytes as sent, inflated when the client compressed it (as body-parser does). */
function decodedStream(req: IncomingMessage): Readable {
  const encoding = (req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  switch (encoding) {
    case "identity":
      return req;
    case "gzip":
      return req.pipe(createGunzip());
    case "deflate":
      return req.pipe(createInflate());
    case "br":
      return req.pipe(createBrotliDecompress());
    default:
      throw unsupported(`Content-Encoding "${encoding.slice(0, 20)}" is not supported`);
  }
}

/** Reads a stream up to `max` bytes (413 beyond, without reading the rest: Node drops it). */
function readAll(stream: Readable, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // The first outcome wins; the listeners stay (the request is dropped with them) and ignore the
    // rest: the `close` after `end`, chunks after a 413. Cheaper per request than `once` wrappers and
    // four removals, and an `error` after the end still finds a listener.
    let settled = false;
    // Takes the error's maker: an error is built (its stack captured) only when it is the outcome,
    // never for the `close` that follows every `end`.
    const fail = (error: () => CredkitError) => {
      if (settled) return;
      settled = true;
      stream.pause();
      // The listeners stay with the request, and they hold `chunks`: let go of what was read (up to
      // the limit) now, not when a paused request is finally dropped.
      chunks.length = 0;
      reject(error());
    };
    stream.on("data", (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > max) fail(tooLarge);
      else chunks.push(chunk);
    });
    stream.on("end", () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    // A broken gzip stream or a client that went away: the body cannot be read, and nothing was done.
    stream.on("error", () => fail(unreadableBody));
    stream.on("close", () => fail(cutBody));
  });
}

/**
 * The JSON body of a request, read once with every check in one place: 415 for a body that is not JSON
 * (or not UTF-8, or compressed in an unknown way), 413 past `max` bytes (the declared length before any
 * byte is read), 400 for bytes that are not valid UTF-8 (a parser would store U+FFFD instead) or not
 * strict JSON (an object or array, as body-parser's strict mode), and the JSON bounds (depth, size,
 * no `__proto__` key) before anything recursive sees it. `undefined` when no body was sent.
 *
 * A body the host app parsed already (`express.json()` mounted first) is taken as parsed and held to
 * the same limit: its declared length, or the size of what was parsed when it came chunked.
 */
export async function readJsonBody(req: IncomingMessage, max: number): Promise<unknown> {
  const body = await readUnwalkedJsonBody(req, max);
  assertJsonBounds(body);
  return body;
}

/**
 * {@link readJsonBody} without the walk over the parsed value, for the credential handler: each of its
 * operations hands the body to core's `parseOrThrow`, whose one walk holds it to the same bounds before
 * zod or anything else recurses into it, so the handler does not walk it a second time.
 */
export async function readUnwalkedJsonBody(req: IncomingMessage, max: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? 0);
  const hasBody = req.headers["transfer-encoding"] !== undefined || declared > 0;
  if (hasBody && !isJsonRequest(req)) {
    throw unsupported("Send the body as JSON with Content-Type: application/json");
  }
  const host = req as IncomingMessage & ParsedByHost;
  if (host._body === true || req.readableEnded) {
    const body = host.body;
    if (Number.isFinite(declared) && declared > 0) {
      if (declared > max) throw tooLarge();
      return body;
    }
    // Came chunked: its size is measured by stringifying it, which recurses, so it is bounded first.
    assertJsonBounds(body);
    if (Buffer.byteLength(JSON.stringify(body ?? null) ?? "") > max) throw tooLarge();
    return body;
  }
  if (!hasBody) return undefined;
  if (declared > max) throw tooLarge();
  const type = req.headers["content-type"] ?? "";
  // Only a header with parameters can name a charset: the plain one skips the regex.
  const charset = type.includes(";") ? /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1] : undefined;
  if (charset !== undefined && !/^utf-?8$/i.test(charset))
    throw unsupported("The request body must be UTF-8 JSON");
  const bytes = await readAll(decodedStream(req), max);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw invalid([{ path: "body", message: "must be valid UTF-8" }]);
  }
  return parseStrictJson(text);
}

/**
 * VALIDATION_ERROR unless `body` is within the JSON bounds (depth, size, no `__proto__` key): before the
 * handler's own recursion over a body (a size by stringify, an idempotency fingerprint).
 */
export function assertJsonBounds(body: unknown): void {
  const refused = checkJsonBounds(body);
  if (refused) throw invalid([refused]);
}

/** JSON.parse of an object or array only (an empty body reads as `{}`), as body-parser's strict mode. */
function parseStrictJson(text: string): unknown {
  if (text.length === 0) return {};
  let i = 0;
  // JSON's own whitespace only: space, tab, line feed, carriage return.
  while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  if (text[i] !== "{" && text[i] !== "[") throw notJson();
  try {
    return JSON.parse(text);
  } catch {
    throw notJson();
  }
}

import * as z from "zod";

// Code points that make stored text lie about itself or break other languages' clients: bidi
// embeddings/overrides/isolates reorder what a reader sees (U+202A-202E, U+2066-2069), zero-width
// characters hide inside names (U+200B-200D, U+2060, U+FEFF), and line/paragraph separators end
// JavaScript string literals and log lines (U+2028, U+2029).
// `\p{Cs}` in a `u` regex matches only a surrogate that is not half of a pair.
const UNSAFE_TEXT = /[\u200B-\u200D\u2060\uFEFF\u202A-\u202E\u2066-\u2069\u2028\u2029]|\p{Cs}/u;

/**
 * True when `value` is text every client can store and show as it is: well-formed UTF-16 (a lone
 * surrogate, which a JSON `\ud800` escape yields, cannot be encoded as UTF-8 by other languages) and
 * free of the bidi, zero-width and separator code points above.
 */
export function isSafeText(value: string): boolean {
  return !UNSAFE_TEXT.test(value);
}

/** The message naming {@link isSafeText}'s rule. */
export const SAFE_TEXT_MESSAGE =
  // Stryker disable next-line StringLiteral: error-message text, excluded as a class (scripts/stryker-ignore-messages.mjs), here held in a constant the ignorer cannot tell from other text
  "must not contain lone surrogates, bidi controls (U+202A-202E, U+2066-2069), zero-width characters (U+200B-200D, U+2060, U+FEFF) or line/paragraph separators (U+2028, U+2029)";

/**
 * The one string every stored field is built on: a string refined by {@link isSafeText}. Schemas chain
 * their own bounds onto it (`text.min(1).max(256)`), never start from a bare `z.string()`.
 */
export const text = z.string().refine(isSafeText, SAFE_TEXT_MESSAGE);

/** An HTTP header name (RFC 9110 token). */
export const headerName = text
  .min(1, "must not be empty")
  .max(256)
  .regex(
    /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/,
    "must be a valid HTTP header name (letters, digits and !#$%&'*+.^_`|~-)",
  );

/**
 * What an HTTP header value may hold (RFC 9110 field-value: tab, space, visible ASCII, obs-text): the
 * characters Node and fetch send. Line breaks and NULs would inject headers; other control characters
 * and code points above U+00FF make Node and fetch throw, so such a value could never be used.
 */
export const HEADER_VALUE_CHARACTERS = /^[\t\x20-\x7e\x80-\xff]*$/;
/** The message naming {@link HEADER_VALUE_CHARACTERS}'s rule. */
export const HEADER_VALUE_MESSAGE =
  // Stryker disable next-line StringLiteral: error-message text, excluded as a class (scripts/stryker-ignore-messages.mjs), here held in a constant the ignorer cannot tell from other text
  "must hold only tab, space, visible ASCII or Latin-1 characters (no line breaks or other control characters)";

/** True when `value` can travel in an HTTP header (see {@link HEADER_VALUE_CHARACTERS}). */
export function isHeaderValue(value: string): boolean {
  return HEADER_VALUE_CHARACTERS.test(value);
}

/** A value that will travel in an HTTP header (see {@link HEADER_VALUE_CHARACTERS}). */
export const headerValue = text
  .min(1, "must not be empty")
  .max(8192)
  .regex(HEADER_VALUE_CHARACTERS, HEADER_VALUE_MESSAGE);

/** A URL credkit will call (token and JWKS endpoints, webhooks): http(s) only. */
export const outboundUrl = z
  .url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" })
  .max(2048)
  .refine(isSafeText, SAFE_TEXT_MESSAGE)
  // The URL parser accepts port 0, where no connection can go: refused at input, not at every call.
  // zod runs this check on a value the URL check refused too: one that does not parse is refused there
  // already (a `new URL` of it would throw, a 500 for bad input).
  .refine((url) => !URL.canParse(url) || new URL(url).port !== "0", "must not name port 0");

/** No control characters (CR, LF, NUL, ESC, DEL, C1): they forge log lines and terminal output. */
export const NO_CONTROL_CHARACTERS = /^[^\p{Cc}]*$/u;

/** A short non-empty identifier-like string (client ids at an OAuth server, issuers, audiences). */
export const shortText = text
  .min(1, "must not be empty")
  .max(1024)
  .regex(NO_CONTROL_CHARACTERS, "must not contain control characters");

/** A map of header names to values. */
export const headerMap = z.record(headerName, headerValue);

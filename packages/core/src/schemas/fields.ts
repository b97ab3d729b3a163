import * as z from "zod";

/** An HTTP header name (RFC 9110 token). */
export const headerName = z
  .string()
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
  "must hold only tab, space, visible ASCII or Latin-1 characters (no line breaks or other control characters)";

/** True when `value` can travel in an HTTP header (see {@link HEADER_VALUE_CHARACTERS}). */
export function isHeaderValue(value: string): boolean {
  return HEADER_VALUE_CHARACTERS.test(value);
}

/** A value that will travel in an HTTP header (see {@link HEADER_VALUE_CHARACTERS}). */
export const headerValue = z
  .string()
  .min(1, "must not be empty")
  .max(8192)
  .regex(HEADER_VALUE_CHARACTERS, HEADER_VALUE_MESSAGE);

/** A URL credkit will call (token and JWKS endpoints): http(s) only. */
export const outboundUrl = z
  .url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" })
  .max(2048);

/** No control characters (CR, LF, NUL, ESC, DEL, C1): they forge log lines and terminal output. */
export const NO_CONTROL_CHARACTERS = /^[^\p{Cc}]*$/u;

/** A short non-empty identifier-like string (client ids at an OAuth server, issuers, audiences). */
export const shortText = z
  .string()
  .min(1, "must not be empty")
  .max(1024)
  .regex(NO_CONTROL_CHARACTERS, "must not contain control characters");

/** A map of header names to values. */
export const headerMap = z.record(headerName, headerValue);

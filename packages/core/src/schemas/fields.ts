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

/** A value that will travel in an HTTP header: no line breaks or NULs (header injection). */
export const headerValue = z
  .string()
  .min(1, "must not be empty")
  .max(8192)
  .regex(/^[^\r\n\0]*$/, "must not contain line breaks or NUL characters");

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

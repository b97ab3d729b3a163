import { apiKeyLookupValue, basicLookupValue, bearerLookupValue } from "../lookup.js";

/** Incoming request headers: any letter case, values as Node gives them. */
export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One credential an incoming request presents, and the lookup value it is found by. */
export interface Presented {
  kind: "bearer" | "basic" | "apiKey";
  lookupValue: string;
}

// Headers that never carry an API key: skipping them keeps the number of lookups small.
const notApiKeyHeaders = new Set([
  "accept", "accept-charset", "accept-encoding", "accept-language", "cache-control", "connection",
  "content-encoding", "content-length", "content-type", "cookie", "date", "dnt", "expect", "forwarded",
  "host", "if-match", "if-modified-since", "if-none-match", "if-unmodified-since", "keep-alive", "origin",
  "pragma", "range", "referer", "te", "traceparent", "tracestate", "transfer-encoding", "upgrade",
  "user-agent", "via", "x-forwarded-for", "x-forwarded-host", "x-forwarded-port", "x-forwarded-proto",
  "x-real-ip", "x-request-id",
]); // biome-ignore format: a dense list reads better
const MAX_API_KEY_HEADERS = 32;
const MAX_VALUE_LENGTH = 8192;

/** Lower-cased header names; a header sent more than once is ambiguous and dropped. */
export function normalizeHeaders(headers: IncomingHeaders): Map<string, string> {
  const result = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const single = typeof value === "string" ? value : value?.length === 1 ? value[0] : undefined;
    if (single !== undefined && single.length <= MAX_VALUE_LENGTH) result.set(name.toLowerCase(), single);
  }
  return result;
}

/** The bearer token of an `Authorization: Bearer` header, if any. */
export function bearerToken(headers: Map<string, string>): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return match ? (match[1] as string) : null;
}

/**
 * What the request presents, most specific first: the Authorization header (Bearer or Basic), then
 * every other header that may carry an API key (named by the credential's `keyName`).
 */
export function presentedCredentials(headers: Map<string, string>): Presented[] {
  const found: Presented[] = [];
  const authorization = headers.get("authorization") ?? "";
  const token = bearerToken(headers);
  if (token !== null) found.push({ kind: "bearer", lookupValue: bearerLookupValue(token) });
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (basic) {
    const decoded = Buffer.from(basic[1] as string, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon >= 0) {
      found.push({
        kind: "basic",
        lookupValue: basicLookupValue(decoded.slice(0, colon), decoded.slice(colon + 1)),
      });
    }
  }
  let apiKeyHeaders = 0;
  for (const [name, value] of headers) {
    if (notApiKeyHeaders.has(name) || value === "" || apiKeyHeaders >= MAX_API_KEY_HEADERS) continue;
    apiKeyHeaders++;
    found.push({ kind: "apiKey", lookupValue: apiKeyLookupValue(name, value) });
  }
  return found;
}

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

/** The Authorization header and the candidate API-key headers of a request, read in one pass. */
export interface ReadHeaders {
  authorization: string | null;
  /** `[lower-cased name, value]` of every header that may carry an API key. */
  apiKeys: [string, string][];
}

/** One value per header: a header sent more than once is ambiguous and ignored. */
function single(value: string | readonly string[] | undefined): string | undefined {
  const one = typeof value === "string" ? value : value?.length === 1 ? value[0] : undefined;
  return one !== undefined && one !== "" && one.length <= MAX_VALUE_LENGTH ? one : undefined;
}

/** Reads the headers (names in any letter case) once. */
export function readHeaders(headers: IncomingHeaders): ReadHeaders {
  let authorization: string | null = null;
  const apiKeys: [string, string][] = [];
  for (const rawName in headers) {
    const value = single(headers[rawName]);
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    // Authorization carries Bearer or Basic credentials; only another scheme can be an API key.
    if (name === "authorization") {
      authorization = value;
      if (/^(bearer|basic)\s/i.test(value)) continue;
    }
    if (!notApiKeyHeaders.has(name) && apiKeys.length < MAX_API_KEY_HEADERS) apiKeys.push([name, value]);
  }
  return { authorization, apiKeys };
}

/** The bearer token of an `Authorization: Bearer` header, if any. */
export function bearerToken(authorization: string | null): string | null {
  const match = authorization === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? (match[1] as string) : null;
}

/**
 * What the request presents, most specific first: the Authorization header (Bearer or Basic), then
 * every other header that may carry an API key (named by the credential's `keyName`).
 */
export function presentedCredentials({ authorization, apiKeys }: ReadHeaders): Presented[] {
  const found: Presented[] = [];
  const token = bearerToken(authorization);
  if (token !== null) found.push({ kind: "bearer", lookupValue: bearerLookupValue(token) });
  const basic = authorization === null ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
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
  for (const [name, value] of apiKeys)
    found.push({ kind: "apiKey", lookupValue: apiKeyLookupValue(name, value) });
  return found;
}

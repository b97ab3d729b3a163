import type { FieldError } from "../errors.js";
import { basicLookupValue, bearerLookupValue, lowerCaseApiKeyLookupValue } from "../lookup.js";

/** Incoming request headers: any letter case, values as Node gives them. */
export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One credential an incoming request presents, and the lookup value it is found by. */
export interface Presented {
  kind: "bearer" | "basic" | "apiKey";
  lookupValue: string;
}

// Headers that never carry an API key: skipping them keeps the number of lookups small.
const notApiKeyHeaders = new Set([
  "accept", "accept-charset", "accept-encoding", "accept-language", "baggage", "cache-control",
  "connection", "content-encoding", "content-length", "content-type", "cookie", "date", "dnt", "expect",
  "forwarded", "host", "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since",
  "keep-alive", "origin", "pragma", "priority", "range", "referer", "te", "traceparent", "tracestate",
  "transfer-encoding", "upgrade", "upgrade-insecure-requests", "user-agent", "via", "x-real-ip",
  "x-request-id",
]); // biome-ignore format: a dense list reads better
// Families of infrastructure headers (browsers, proxies, CDNs, tracing; `X-Forwarded-For` and its kin
// are here, not above) that never carry an API key, and credkit's own (`X-Credkit-Token` is the
// proxy's token, stripped before verification; the others credkit sets on its answers): the one list
// of names a key can never be read from.
const notApiKeyPrefixes =
  /^(x-credkit-|sec-|x-forwarded-|x-amzn-|x-amz-cf-|cf-|x-envoy-|x-b3-|x-datadog-|x-cloud-trace)/;
// Names that usually carry a key: they are looked up first, so unrelated headers cannot crowd them out.
const likelyApiKeyName = /key|token|auth|secret|api|sig|cred|pass/;
/**
 * At most this many headers are looked up as API keys, names that look like key headers first: the
 * bound on a verification's hashing (each candidate is hashed under every keyring key). The store work
 * does not grow with it: every candidate goes to each store in one `findByLookups` round trip. With
 * Authorization and a JWT issuer, a request has at most 34 candidate values, so while two keys rotate
 * its 68 hashes still fit one DynamoDB BatchGetItem (100 keys).
 */
export const MAX_API_KEY_HEADERS = 32;
/** Header names and values longer than these are ignored (they cannot be a credential's). */
const MAX_NAME_LENGTH = 256;
const MAX_VALUE_LENGTH = 8192;

/** The Authorization header and the candidate API-key headers of a request, read in one pass. */
export interface ReadHeaders {
  authorization: string | null;
  /** The token of an `Authorization: Bearer` header (see {@link bearerToken}), read once here. */
  bearer: string | null;
  /** `[lower-cased name, value]` of every header that may carry an API key, likely names first. */
  apiKeys: [string, string][];
}

/** One value per header: a header sent more than once is ambiguous and ignored. */
function single(value: string | readonly string[] | undefined): string | undefined {
  const one = typeof value === "string" ? value : value?.length === 1 ? value[0] : undefined;
  return one !== undefined && one !== "" && one.length <= MAX_VALUE_LENGTH ? one : undefined;
}

/** What a header name is to the verifier: the Authorization header, never a key, or a candidate. */
type NameKind = "authorization" | "skipped" | "likely" | "other";

/** A header name as the verifier reads it: lower-cased, and what it is. */
interface NameReading {
  name: string;
  kind: NameKind;
}

/** What the lower-cased header `name` is: the lists above, applied in one place. */
function kindOf(name: string): NameKind {
  if (name === "authorization") return "authorization";
  if (notApiKeyHeaders.has(name) || notApiKeyPrefixes.test(name)) return "skipped";
  return likelyApiKeyName.test(name) ? "likely" : "other";
}

// The same few header names arrive on every request: each is lower-cased and matched against the lists
// once, not per request (two patterns and a set lookup per header were a tenth of an apiKey
// verification: bench/verify.ts). Names past the bound are read as before, never remembered, so names
// a caller makes up cannot grow memory, nor push out the names already remembered.
export const MAX_REMEMBERED_NAMES = 1024;
const readings = new Map<string, NameReading>();

/** How many header names are remembered (for the test of the bound). */
export function rememberedNames(): number {
  return readings.size;
}

/** The reading of header `rawName` (any letter case), remembered while there is room. */
function readingOf(rawName: string): NameReading {
  let reading = readings.get(rawName);
  if (reading === undefined) {
    const name = rawName.toLowerCase();
    reading = { name, kind: kindOf(name) };
    if (readings.size < MAX_REMEMBERED_NAMES) readings.set(rawName, reading);
  }
  return reading;
}

/**
 * Reads the headers (names in any letter case) once. The work is bounded, not the request: what is
 * over the bounds (long names or values, repeated headers, candidates past {@link MAX_API_KEY_HEADERS})
 * is ignored, never refused, and names that look like key headers are taken before the others.
 */
export function readHeaders(headers: IncomingHeaders): ReadHeaders {
  let authorization: string | null = null;
  let ambiguous = false;
  const likely: [string, string][] = [];
  const others: [string, string][] = [];
  for (const rawName in headers) {
    if (rawName.length > MAX_NAME_LENGTH) continue;
    const value = single(headers[rawName]);
    if (value === undefined) continue;
    const { name, kind } = readingOf(rawName);
    if (kind === "skipped") continue;
    // Authorization carries Bearer or Basic credentials; only another scheme can be an API key.
    if (kind === "authorization") {
      // A second value under another letter case (a /verify body can hold both) is as ambiguous as a
      // repeated header: which one the backend reads is anyone's guess, so neither is checked.
      if (authorization !== null) {
        ambiguous = true;
        continue;
      }
      authorization = value;
      if (/^(bearer|basic)\s/i.test(value)) continue;
    }
    const list = kind === "other" ? others : likely;
    // Bounds the work, and the result when every candidate has a likely name (no slice below then).
    if (list.length < MAX_API_KEY_HEADERS) list.push([name, value]);
  }
  // The usual request has no candidate outside the likely names: no copy is made then.
  const apiKeys = others.length === 0 ? likely : likely.concat(others).slice(0, MAX_API_KEY_HEADERS);
  if (ambiguous)
    return {
      authorization: null,
      bearer: null,
      apiKeys: apiKeys.filter(([name]) => name !== "authorization"),
    };
  return { authorization, bearer: bearerToken(authorization), apiKeys };
}

/**
 * Why a proxy credential's secret could never be presented to the verifier (a header it skips), as a
 * field error, or null. Refused at create and update so such a credential is never stored.
 */
export function unverifiableProxySecret(authType: string, secret: unknown): FieldError | null {
  if (authType !== "apiKey") return null;
  const name = String((secret as { keyName?: unknown }).keyName).toLowerCase();
  // `__proto__`: Node drops a header of that name, and a /verify body may not hold the key (JSON bounds).
  if (
    name === "authorization" ||
    name === "__proto__" ||
    notApiKeyHeaders.has(name) ||
    notApiKeyPrefixes.test(name)
  ) {
    return {
      path: "secret.keyName",
      message:
        "is a header the verifier never reads as an API key (Authorization, Cookie, X-Request-Id, X-Credkit-*, ...); use a dedicated header such as X-Api-Key",
    };
  }
  return null;
}

/** The bearer token of an `Authorization: Bearer` header, if any. */
export function bearerToken(authorization: string | null): string | null {
  // Stryker disable next-line ConditionalExpression: the pattern finds no scheme in null's text either; this is for the type checker
  const match = authorization === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? (match[1] as string) : null;
}

/** The username and password of an `Authorization: Basic` header, if it holds a well-formed pair. */
function basicCredentials(authorization: string | null): { username: string; password: string } | null {
  // Stryker disable next-line ConditionalExpression: the pattern finds no scheme in null's text either; this is for the type checker
  const basic = authorization === null ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1] as string, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The username of the request's `Authorization: Basic` credentials, read as the verifier reads them,
 * or null: the one identity a failed attempt names without its secret (API keys and bearer tokens are
 * their own identity). A data plane may count failures per username with it (never log it: people
 * type passwords into username fields).
 */
export function presentedBasicUsername(headers: IncomingHeaders): string | null {
  // Only the Authorization header, as `readHeaders` takes it (any case, a single value; none when two cases hold one each):
  // this runs before every lookup, so it does not read the other headers.
  let authorization: string | undefined;
  for (const name in headers) {
    if (name.length !== 13 || name.toLowerCase() !== "authorization") continue;
    const value = single(headers[name]);
    // Two values under two letter cases: ambiguous, so the verifier reads neither (see readHeaders).
    if (value !== undefined && authorization !== undefined) return null;
    authorization = value ?? authorization;
  }
  // Stryker disable next-line ConditionalExpression: basicCredentials finds no pair in a missing header either
  return authorization === undefined ? null : (basicCredentials(authorization)?.username ?? null);
}

/**
 * What the request presents, most specific first: the Authorization header (Bearer or Basic), then
 * every other header that may carry an API key (named by the credential's `keyName`).
 */
export function presentedCredentials({ authorization, bearer: token, apiKeys }: ReadHeaders): Presented[] {
  const found: Presented[] = [];
  if (token !== null) found.push({ kind: "bearer", lookupValue: bearerLookupValue(token) });
  const basic = basicCredentials(authorization);
  if (basic) found.push({ kind: "basic", lookupValue: basicLookupValue(basic.username, basic.password) });
  for (const [name, value] of apiKeys)
    found.push({ kind: "apiKey", lookupValue: lowerCaseApiKeyLookupValue(name, value) });
  return found;
}

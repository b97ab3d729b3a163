import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { CredkitError, isCredkitError } from "../errors.js";
import type { AddressPolicy } from "./address-policy.js";

/** Options of {@link createOutboundFetch}. */
export interface OutboundFetchOptions {
  /** Which addresses may be reached (see `createAddressPolicy`). */
  policy: AddressPolicy;
  /** Milliseconds a whole request (connect, send, read the body) may take. Default 5000. */
  timeoutMs?: number;
  /** Largest response body in bytes. Default 1 MiB. */
  maxResponseBytes?: number;
  /** Redirects followed, and only to the same origin. Default 3. */
  maxRedirects?: number;
}

/** What an outbound request may carry. */
export interface OutboundRequestInit {
  method?: string;
  headers?: ConstructorParameters<typeof Headers>[0];
  body?: string;
  signal?: AbortSignal | null;
}

/** A `fetch`-shaped function bound to the outbound safety rules. */
export type OutboundFetch = (url: string | URL, init?: OutboundRequestInit) => Promise<Response>;

const refused = (message: string) => new CredkitError("OUTBOUND_REFUSED", message);

/**
 * The one answer for a target that is refused by the policy, does not resolve, or cannot be connected
 * to: the same code and message whatever the reason, so a tenant cannot map internal names with it.
 */
const unreachable = (host: string, cause?: unknown) =>
  new CredkitError(
    "OUTBOUND_REFUSED",
    `Outbound request to ${host} refused: the host is not reachable or not allowed by the outbound policy`,
    { cause },
  );

/** Marks an error raised before any response arrived (DNS, policy, connect, TLS). Never shown: only its cause is kept. */
class NoResponse extends Error {}

/** A URL's host name without an IPv6 literal's brackets (`[::1]` → `::1`): what the policy and messages name. */
// Stryker disable next-line Regex: a host name holds brackets only at its ends, so either anchor alone strips the same
const bareHost = (url: URL) => url.hostname.replace(/^\[|\]$/g, "");

/**
 * Resolves like `dns.lookup`, but fails unless every address the name resolves to is allowed: checking
 * at connect time (not before) means a DNS answer that changes between check and use cannot slip a
 * private address through.
 */
function guardedLookup(policy: AddressPolicy, hostname: string, port: number): LookupFunction {
  return (host, options, callback) => {
    dnsLookup(host, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error, "", 0);
        return;
      }
      const denied = addresses.find((a) => !policy.allows(hostname, a.address, port));
      // Stryker disable next-line ConditionalExpression: dns.lookup answers an error, never an empty list; kept so an empty answer can never pass
      if (denied || addresses.length === 0) {
        callback(unreachable(hostname), "", 0);
        return;
      }
      if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      else callback(null, (addresses[0] as LookupAddress).address, (addresses[0] as LookupAddress).family);
    });
  };
}

function readBody(response: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        response.destroy();
        reject(
          new CredkitError("UPSTREAM_ERROR", `Outbound response is larger than ${maxBytes} bytes`, {
            upstreamClass: "invalid_response",
          }),
        );
        return;
      }
      chunks.push(chunk);
    });
    response.on("end", () => resolve(Buffer.concat(chunks)));
    response.on("error", reject);
  });
}

/**
 * A fetch for token and JWKS endpoints that refuses non-http(s) URLs and non-public addresses (unless
 * the policy allows them), bounds time and response size, and follows redirects only within the same
 * origin. Failures are `CredkitError`s: `OUTBOUND_REFUSED` for the policy, `UPSTREAM_ERROR` otherwise.
 */
export function createOutboundFetch(options: OutboundFetchOptions): OutboundFetch {
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBytes = options.maxResponseBytes ?? 1024 * 1024;
  const maxRedirects = options.maxRedirects ?? 3;

  /** One hop: the response, or where a same-origin redirect points. */
  async function once(url: URL, init: OutboundRequestInit, deadline: AbortSignal): Promise<Response | URL> {
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw refused(`Outbound URL scheme ${url.protocol} refused`);
    const hostname = bareHost(url);
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    if (isIP(hostname) !== 0 && !options.policy.allows(hostname, hostname, port)) throw unreachable(hostname);
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const body = init.body === undefined ? undefined : Buffer.from(init.body, "utf8");
    if (body) headers["content-length"] = String(body.length);
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, {
        method: init.method, // Node sends GET when none is given
        headers,
        lookup: guardedLookup(options.policy, hostname, port),
        signal: deadline,
        agent: false,
      });
      req.on("response", resolve);
      // Before a response, every failure (no such name, refused, unroutable) is one and the same.
      req.on("error", (error) =>
        reject(
          isCredkitError(error) || deadline.aborted ? error : new NoResponse(url.host, { cause: error }),
        ),
      );
      req.end(body);
    });
    const status = response.statusCode ?? 502;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location) {
      response.resume();
      const next = new URL(location, url);
      if (next.origin !== url.origin)
        throw refused(`Outbound redirect to another host (${next.host}) refused`);
      return next;
    }
    const bytes = await readBody(response, maxBytes);
    const responseHeaders = new Headers();
    // headersDistinct holds every header as a list (its type allows an absent one, which it never holds).
    for (const [name, values] of Object.entries(response.headersDistinct) as [string, string[]][])
      for (const value of values) responseHeaders.append(name, value);
    // Node answers 1xx statuses as events, never as the response, so the status is 200 or more here; a
    // Response holds at most 599 (Node reads any three digits).
    const nullBody = status === 204 || status === 304;
    return new Response(nullBody ? null : bytes, {
      status: Math.min(status, 599),
      headers: responseHeaders,
    });
  }

  return async (input, init = {}) => {
    let url = new URL(String(input));
    const deadline = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(init.signal ? [init.signal] : [])]);
    try {
      for (let hop = 0; ; hop++) {
        const result = await once(url, init, deadline);
        if (!(result instanceof URL)) return result;
        if (hop >= maxRedirects)
          throw new CredkitError("UPSTREAM_ERROR", "Too many outbound redirects", {
            upstreamClass: "network",
          });
        url = result;
      }
    } catch (error) {
      if (isCredkitError(error)) throw error;
      if (error instanceof NoResponse) throw unreachable(bareHost(url), error.cause);
      const timedOut = deadline.aborted;
      throw new CredkitError(
        "UPSTREAM_ERROR",
        timedOut ? `Outbound request to ${url.host} timed out` : `Outbound request to ${url.host} failed`,
        { cause: error, upstreamClass: timedOut ? "timeout" : "network" },
      );
    }
  };
}

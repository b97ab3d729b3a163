/** What an `/authz/...` request asks: whose proxy credential to check, and which target to inject. */
export interface AuthzRoute {
  clientId: string;
  /** The target credential whose auth the answer carries; null for a verdict only. */
  targetCredentialId: string | null;
}

const PREFIX = "/authz/";
const MAX_SEGMENT = 256;

/**
 * Parses `/authz/{clientId}[/{targetCredentialId}]`, optionally followed by `/-` and anything (Envoy's
 * ext_authz appends the original request path to its `path_prefix`; end the prefix with `/-`). An
 * empty target segment or `-` means none. The query string is ignored. Null when the path does not fit.
 */
export function parseAuthzPath(url: string): AuthzRoute | null {
  if (!url.startsWith(PREFIX)) return null;
  const query = url.indexOf("?");
  const segments = (query === -1 ? url.slice(PREFIX.length) : url.slice(PREFIX.length, query)).split("/");
  let end = segments.indexOf("-");
  if (end === -1) end = segments.length;
  if (end < 1 || end > 2) return null;
  const clientId = decode(segments[0] as string);
  const target = end === 2 ? decode(segments[1] as string) : "";
  if (clientId === null || clientId === "" || target === null) return null;
  return { clientId, targetCredentialId: target === "" ? null : target };
}

function decode(segment: string): string | null {
  if (segment.length > MAX_SEGMENT) return null;
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

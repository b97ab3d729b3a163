import { BlockList, isIP } from "node:net";
import { CredkitError } from "../errors.js";

// Addresses an outbound fetch must not reach unless allowed: loopback, private, link-local (cloud
// metadata lives at 169.254.169.254), carrier-grade NAT, unspecified, multicast and reserved ranges.
// Built per check (a few microseconds, once per outbound connection), not at module load: a table
// evaluated at load is a "static" mutant that Stryker's vitest runner cannot test (stryker-js#6144),
// and this list is the one whose every entry must be shown to matter.
function nonPublicRanges(): BlockList {
  const blocked = new BlockList();
  blocked.addSubnet("0.0.0.0", 8, "ipv4");
  blocked.addSubnet("10.0.0.0", 8, "ipv4");
  blocked.addSubnet("100.64.0.0", 10, "ipv4");
  blocked.addSubnet("127.0.0.0", 8, "ipv4");
  blocked.addSubnet("169.254.0.0", 16, "ipv4");
  blocked.addSubnet("172.16.0.0", 12, "ipv4");
  blocked.addSubnet("192.0.0.0", 24, "ipv4");
  blocked.addSubnet("192.168.0.0", 16, "ipv4");
  blocked.addSubnet("198.18.0.0", 15, "ipv4");
  blocked.addSubnet("224.0.0.0", 4, "ipv4");
  blocked.addSubnet("240.0.0.0", 4, "ipv4");
  blocked.addSubnet("::", 128, "ipv6");
  blocked.addSubnet("::1", 128, "ipv6");
  blocked.addSubnet("fc00::", 7, "ipv6");
  blocked.addSubnet("fe80::", 10, "ipv6");
  blocked.addSubnet("ff00::", 8, "ipv6");
  return blocked;
}

/** The 16 bytes of an IPv6 address in any textual form (compressed, with a dotted IPv4 tail), or null. */
function ipv6Bytes(address: string): number[] | null {
  // Stryker disable next-line Regex: `.*` runs to the end anyway
  const text = address.replace(/%.*$/, "");
  let tail: number[] = [];
  let head = text;
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    // Stryker disable next-line StringLiteral: both groups always match; the defaults are for the type checker
    const [, before = "", quad = ""] = dotted;
    if (isIP(quad) !== 4) return null;
    tail = quad.split(".").map(Number);
    head = before.endsWith("::") ? before : before.slice(0, -1);
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string | undefined) => (part ? part.split(":") : []);
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  const needed = 8 - tail.length / 2;
  const fill = halves.length === 2 ? needed - left.length - right.length : 0;
  const all = [...left, ...Array(Math.max(fill, 0)).fill("0"), ...right];
  if (all.length !== needed || all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  const bytes = all.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 255];
  });
  return [...bytes, ...tail];
}

const zeros = (bytes: number[], from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);

/**
 * The IPv4 address an IPv6 address stands for, in every form that reaches (or is translated to) it:
 * IPv4-compatible `::a.b.c.d` (`[::127.0.0.1]`), IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated
 * `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`, and 6to4 `2002::/16`; else null.
 */
function embeddedIpv4(bytes: number[]): string | null {
  const v4 = (at: number) => bytes.slice(at, at + 4).join(".");
  // `::` and `::1` are IPv6's own unspecified and loopback addresses, not IPv4-compatible ones.
  if (zeros(bytes, 0, 15) && (bytes[15] as number) <= 1) return null;
  if (
    zeros(bytes, 0, 10) &&
    ((bytes[10] === 0xff && bytes[11] === 0xff) || (bytes[10] === 0 && bytes[11] === 0))
  )
    return v4(12);
  if (zeros(bytes, 0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && zeros(bytes, 10, 12)) return v4(12);
  const prefix = bytes
    .slice(0, 6)
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  if (prefix.startsWith("0064ff9b") && (zeros(bytes, 4, 12) || prefix === "0064ff9b0001")) return v4(12);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return v4(2);
  return null;
}

/** The address in one canonical form: an IPv4 dotted quad when it stands for one, else expanded IPv6. */
export function normalizeAddress(address: string): { family: 4 | 6; address: string } | null {
  const bare = address.replace(/^\[|\]$/g, "");
  if (isIP(bare) === 4) return { family: 4, address: bare };
  const bytes = ipv6Bytes(bare);
  if (!bytes) return null;
  const v4 = embeddedIpv4(bytes);
  if (v4 !== null) return { family: 4, address: v4 };
  const groups = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return { family: 6, address: groups.join(":") };
}

/** True for an address in a loopback, private, link-local or otherwise non-public range, in any form. */
export function isNonPublicAddress(address: string): boolean {
  const normal = normalizeAddress(address);
  if (!normal) return true; // not an address at all: never trust it
  const blocked = nonPublicRanges();
  if (normal.family === 4) return blocked.check(normal.address, "ipv4");
  // Teredo (2001::/32) tunnels to an address that cannot be checked here.
  return blocked.check(normal.address, "ipv6") || normal.address.startsWith("2001:0:");
}

/** Which non-public hosts outbound requests may still reach. */
export interface AddressPolicy {
  /**
   * True when a request to `hostname`, resolved to `address`, may go ahead on `port` (an entry with a
   * port allows that port only; without `port`, only entries without one match).
   */
  allows(hostname: string, address: string, port?: number): boolean;
}

const ANY_PORT = -1;

/** Splits `host:port`, `address:port` and `[ipv6]:port` entries; the port is ANY_PORT when absent. */
function splitPort(entry: string): { host: string; port: number } | null {
  const bracket = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry);
  if (bracket)
    return { host: bracket[1] as string, port: bracket[2] === undefined ? ANY_PORT : Number(bracket[2]) };
  // Stryker disable next-line MethodExpression,StringLiteral: entries come trimmed, and split always yields a first part
  if (isIP((entry.split("/")[0] ?? "").trim()) === 6) return { host: entry, port: ANY_PORT };
  const withPort = /^(.*):(\d{1,5})$/.exec(entry);
  if (!withPort) return entry.includes(":") ? null : { host: entry, port: ANY_PORT };
  const port = Number(withPort[2]);
  return port >= 1 && port <= 65535 ? { host: withPort[1] as string, port } : null;
}

/**
 * The outbound address policy: public addresses are allowed; loopback, private and link-local ones
 * only when listed in `allowHosts`, by host name (`auth.internal`), address (`127.0.0.1`) or CIDR
 * (`10.0.0.0/8`, `fd00::/8`), each optionally limited to one port (`auth.internal:8443`,
 * `127.0.0.1:9000`, `[::1]:9000`). Addresses are compared in one canonical form, so `[::127.0.0.1]`,
 * `[::ffff:0:127.0.0.1]` and every other spelling of 127.0.0.1 are 127.0.0.1. This is what
 * `CREDKIT_OUTBOUND_ALLOW_HOSTS` configures.
 */
export function createAddressPolicy(allowHosts: readonly string[] = []): AddressPolicy {
  const names = new Map<string, Set<number>>();
  const lists = new Map<number, BlockList>();
  const listFor = (port: number) => {
    let list = lists.get(port);
    if (!list) {
      list = new BlockList();
      lists.set(port, list);
    }
    return list;
  };
  for (const entry of allowHosts.map((h) => h.trim()).filter(Boolean)) {
    const bad = () =>
      new CredkitError(
        "CONFIGURATION_ERROR",
        `"${entry}" is not a host name, an IP address or a CIDR (optionally with :port)`,
      );
    const split = splitPort(entry);
    if (!split) throw bad();
    const { host, port } = split;
    // Stryker disable next-line StringLiteral: split always yields a first part; the default is for the type checker
    const [net = "", prefix] = host.split("/");
    const family = isIP(net);
    // Stryker disable next-line ConditionalExpression: with a prefix the host holds a "/", which the name pattern refuses
    if (family === 0 && prefix === undefined && /^[a-z0-9.-]+$/i.test(host)) {
      const name = host.toLowerCase().replace(/\.$/, "");
      names.set(name, (names.get(name) ?? new Set()).add(port));
      continue;
    }
    const bits = Number(prefix);
    if (
      family === 0 ||
      (prefix !== undefined && !(Number.isInteger(bits) && bits >= 0 && bits <= (family === 4 ? 32 : 128)))
    ) {
      throw bad();
    }
    const normal = prefix === undefined ? normalizeAddress(net) : null;
    if (normal) listFor(port).addAddress(normal.address, normal.family === 4 ? "ipv4" : "ipv6");
    else listFor(port).addSubnet(net, bits, family === 4 ? "ipv4" : "ipv6");
  }
  return {
    allows(hostname, address, port) {
      if (!isNonPublicAddress(address)) return true;
      // Stryker disable next-line ConditionalExpression,ArrayDeclaration: no entry is listed under an undefined or non-numeric port
      const ports = [ANY_PORT, ...(port === undefined ? [] : [port])];
      // Names hold no ":" (entries that do are addresses), so an IPv6 literal never matches one.
      const name = hostname.toLowerCase().replace(/\.$/, "");
      const named = names.get(name);
      if (named && ports.some((p) => named.has(p))) return true;
      const normal = normalizeAddress(address);
      if (!normal) return false;
      const type = normal.family === 4 ? "ipv4" : "ipv6";
      return ports.some((p) => lists.get(p)?.check(normal.address, type) === true);
    },
  };
}

/** Parses `CREDKIT_OUTBOUND_ALLOW_HOSTS`-style text: comma-separated hosts, addresses or CIDRs. */
export function parseAllowHosts(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((h) => h.trim())
    .filter(Boolean);
}

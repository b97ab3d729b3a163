import { BlockList, isIP } from "node:net";
import { CredkitError } from "../errors.js";

// Addresses an outbound fetch must not reach unless allowed: loopback, private, link-local (cloud
// metadata lives at 169.254.169.254), carrier-grade NAT, unspecified, multicast and reserved ranges.
const ipv4Blocked: [string, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
];
const ipv6Blocked: [string, number][] = [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
];

const blocked = new BlockList();
for (const [net, prefix] of ipv4Blocked) blocked.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of ipv6Blocked) blocked.addSubnet(net, prefix, "ipv6");

/** The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or NAT64 IPv6 address, else null. */
function embeddedIpv4(address: string): string | null {
  const match = /^(?:::ffff:|64:ff9b::)(?:0:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (match) return match[1] as string;
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const high = Number.parseInt(hex[1] as string, 16);
  const low = Number.parseInt(hex[2] as string, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

/** True for an address in a loopback, private, link-local or otherwise non-public range. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    return v4 !== null ? blocked.check(v4, "ipv4") : blocked.check(address, "ipv6");
  }
  return true; // not an address at all: never trust it
}

/** Which non-public hosts outbound requests may still reach. */
export interface AddressPolicy {
  /** True when a request to `hostname`, resolved to `address`, may go ahead. */
  allows(hostname: string, address: string): boolean;
}

/**
 * The outbound address policy: public addresses are allowed; loopback, private and link-local ones
 * only when listed in `allowHosts`, by host name (`auth.internal`), address (`127.0.0.1`) or CIDR
 * (`10.0.0.0/8`, `fd00::/8`). This is what `CREDKIT_OUTBOUND_ALLOW_HOSTS` configures.
 */
export function createAddressPolicy(allowHosts: readonly string[] = []): AddressPolicy {
  const names = new Set<string>();
  const allowed = new BlockList();
  for (const entry of allowHosts.map((h) => h.trim()).filter(Boolean)) {
    const [net, prefix] = entry.split("/");
    const family = isIP(net ?? "");
    if (family === 0 && prefix === undefined && /^[a-z0-9.-]+$/i.test(entry)) {
      names.add(entry.toLowerCase().replace(/\.$/, ""));
      continue;
    }
    const bits = Number(prefix);
    const type = family === 4 ? "ipv4" : "ipv6";
    if (
      family === 0 ||
      (prefix !== undefined && !(Number.isInteger(bits) && bits >= 0 && bits <= (family === 4 ? 32 : 128)))
    ) {
      throw new CredkitError("CONFIGURATION_ERROR", `"${entry}" is not a host name, an IP address or a CIDR`);
    }
    if (prefix === undefined) allowed.addAddress(net as string, type);
    else allowed.addSubnet(net as string, bits, type);
  }
  return {
    allows(hostname, address) {
      if (!isNonPublicAddress(address)) return true;
      if (
        names.has(
          hostname
            .toLowerCase()
            .replace(/^\[|\]$/g, "")
            .replace(/\.$/, ""),
        )
      )
        return true;
      const family = isIP(address);
      return family !== 0 && allowed.check(address, family === 4 ? "ipv4" : "ipv6");
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

import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";

// What `CREDKIT_TRUSTED_PROXIES` names, as Express's `trust proxy` reads it (proxy-addr's ranges).
const NAMED_RANGES: Record<string, [string, number, "ipv4" | "ipv6"][]> = {
  loopback: [["127.0.0.0", 8, "ipv4"], ["::1", 128, "ipv6"]],
  linklocal: [["169.254.0.0", 16, "ipv4"], ["fe80::", 10, "ipv6"]],
  uniquelocal: [["10.0.0.0", 8, "ipv4"], ["172.16.0.0", 12, "ipv4"], ["192.168.0.0", 16, "ipv4"], ["fc00::", 7, "ipv6"]],
}; // biome-ignore format: a table

/** Whether an address is one of the configured trusted proxies. */
export type TrustedProxies = (address: string) => boolean;

/**
 * The trusted-proxy test for `CREDKIT_TRUSTED_PROXIES` entries (addresses, CIDRs, `loopback`,
 * `linklocal`, `uniquelocal`; already validated by the configuration), the same list the management
 * API gives Express as `trust proxy`: one setting says whose forwarding headers are believed.
 */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of entries) {
    const named = NAMED_RANGES[entry];
    if (named) {
      for (const [net, bits, family] of named) list.addSubnet(net, bits, family);
      continue;
    }
    const [address = "", bits] = entry.split("/");
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (address) => {
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 6 ? "ipv6" : "ipv4");
  };
}

/** `::ffff:1.2.3.4` as `1.2.3.4`; IPv6 folded to its /64, so one host cannot spread over 2^64 buckets. */
function normalized(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.)/, "");
  if (isIP(plain) !== 6) return plain;
  const [head = "", tail = ""] = plain.split("::");
  const groups = [...head.split(":").filter(Boolean)];
  const rest = tail.split(":").filter(Boolean);
  while (groups.length + rest.length < 8) groups.push("0");
  return `${[...groups, ...rest].slice(0, 4).join(":")}::/64`;
}

/**
 * The address of the end caller an auth subrequest is about. The socket's peer is the proxy asking;
 * only when that peer is a trusted proxy are its forwarding headers believed: `X-Forwarded-For`, read
 * from the right, skipping trusted proxies (the first address a trusted hop did not add itself), else
 * `X-Real-IP`. Anything else (an untrusted peer, a malformed entry) leaves the peer as the caller, so
 * rotating a forged header changes nothing.
 */
export function callerAddress(req: IncomingMessage, trusted: TrustedProxies): string {
  const peer = (req.socket.remoteAddress ?? "unknown").replace(/^::ffff:(?=\d+\.)/, "");
  if (!trusted(peer)) return normalized(peer);
  const forwarded = req.headers["x-forwarded-for"];
  if (typeof forwarded === "string" && forwarded !== "") {
    const hops = forwarded.split(",");
    let caller = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = (hops[i] as string).trim().replace(/^::ffff:(?=\d+\.)/, "");
      if (isIP(hop) === 0) break;
      caller = hop;
      if (!trusted(hop)) break;
    }
    return normalized(caller);
  }
  const real = req.headers["x-real-ip"];
  if (typeof real === "string" && isIP(real.trim()) !== 0) return normalized(real.trim());
  return normalized(peer);
}

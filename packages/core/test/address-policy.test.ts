import { describe, expect, it } from "vitest";
import { createAddressPolicy, isNonPublicAddress, normalizeAddress, parseAllowHosts } from "../src/index.js";

// Every blocked range pinned at its edges: the first and last address inside, and the neighbours just
// outside, so a range deleted, narrowed or widened fails here.
describe("the SSRF blocklist, range by range", () => {
  it.each([
    // [range, first inside, last inside, just below, just above]
    ["0.0.0.0/8", "0.0.0.0", "0.255.255.255", null, "1.0.0.0"],
    ["10.0.0.0/8", "10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0"],
    ["100.64.0.0/10", "100.64.0.0", "100.127.255.255", "100.63.255.255", "100.128.0.0"],
    ["127.0.0.0/8", "127.0.0.0", "127.255.255.255", "126.255.255.255", "128.0.0.0"],
    ["169.254.0.0/16", "169.254.0.0", "169.254.255.255", "169.253.255.255", "169.255.0.0"],
    ["172.16.0.0/12", "172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0"],
    ["192.0.0.0/24", "192.0.0.0", "192.0.0.255", "191.255.255.255", "192.0.1.0"],
    ["192.168.0.0/16", "192.168.0.0", "192.168.255.255", "192.167.255.255", "192.169.0.0"],
    ["198.18.0.0/15", "198.18.0.0", "198.19.255.255", "198.17.255.255", "198.20.0.0"],
    ["224.0.0.0/4", "224.0.0.0", "239.255.255.255", "223.255.255.255", null],
    ["240.0.0.0/4", "240.0.0.0", "255.255.255.255", null, null],
    ["::/128", "::", "::", null, null], // ::2 and up are IPv4-compatible (0.0.0.2),
    ["::1/128", "::1", "::1", null, null],
    [
      "fc00::/7",
      "fc00::",
      "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      "fe00::",
    ],
    [
      "fe80::/10",
      "fe80::",
      "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      "fec0::",
    ],
    ["ff00::/8", "ff00::", "ff02::1", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", null],
  ])("%s", (_range, first, last, below, above) => {
    expect(isNonPublicAddress(first), first).toBe(true);
    expect(isNonPublicAddress(last), last).toBe(true);
    if (below !== null) expect(isNonPublicAddress(below), below).toBe(false);
    if (above !== null) expect(isNonPublicAddress(above), above).toBe(false);
  });

  it("blocks ULA addresses whose bytes would look public if read as 6to4", () => {
    expect(isNonPublicAddress("fd12:3456:789a::1")).toBe(true);
    expect(isNonPublicAddress("fc08:0808:0808::1")).toBe(true);
  });

  it("checks the IPv4 address a 6to4 address embeds, public or not", () => {
    expect(isNonPublicAddress("2002:0a00:0001::1")).toBe(true); // 10.0.0.1
    expect(isNonPublicAddress("2002:0808:0808::1")).toBe(false); // 8.8.8.8
    expect(normalizeAddress("2002:0808:0808::1")).toEqual({ family: 4, address: "8.8.8.8" });
    // Only 2002::/16 is 6to4: its neighbours are plain IPv6.
    expect(normalizeAddress("2003:0a00:0001::1")?.family).toBe(6);
    expect(normalizeAddress("2102:0a00:0001::1")?.family).toBe(6);
  });

  it("treats Teredo (2001::/32) as non-public, but not its neighbours", () => {
    expect(isNonPublicAddress("2001:0:4136:e378::1")).toBe(true);
    expect(isNonPublicAddress("2001:1:4136:e378::1")).toBe(false);
    expect(isNonPublicAddress("2001:db9::1")).toBe(false);
  });
});

describe("normalizeAddress", () => {
  it.each([
    ["8.8.8.8", 4, "8.8.8.8"],
    ["[8.8.8.8]", 4, "8.8.8.8"],
    ["::ffff:8.8.8.8", 4, "8.8.8.8"],
    ["::ffff:808:808", 4, "8.8.8.8"],
    ["::8.8.8.8", 4, "8.8.8.8"],
    ["::0:8.8.8.8", 4, "8.8.8.8"],
    ["::ffff:0:8.8.8.8", 4, "8.8.8.8"],
    ["::ffff:0:808:808", 4, "8.8.8.8"],
    ["64:ff9b::8.8.8.8", 4, "8.8.8.8"],
    ["64:ff9b:1::808:808", 4, "8.8.8.8"],
    ["::2", 4, "0.0.0.2"],
    ["::", 6, "0:0:0:0:0:0:0:0"],
    ["::1", 6, "0:0:0:0:0:0:0:1"],
    ["[::1]", 6, "0:0:0:0:0:0:0:1"],
    ["fe80::1%eth0", 6, "fe80:0:0:0:0:0:0:1"],
    ["2001:DB8::A", 6, "2001:db8:0:0:0:0:0:a"],
    ["1:2:3:4:5:6:7:8", 6, "1:2:3:4:5:6:7:8"],
    ["1::8", 6, "1:0:0:0:0:0:0:8"],
    ["1:2:3:4:5:6::", 6, "1:2:3:4:5:6:0:0"],
    ["1:2:3:4:5:6:1.2.3.4", 6, "1:2:3:4:5:6:102:304"],
    ["1::1.2.3.4", 6, "1:0:0:0:0:0:102:304"],
    // Not the NAT64 prefixes: only 64:ff9b::/96 and 64:ff9b:1::/48 translate.
    ["64:ff9b:2::808:808", 6, "64:ff9b:2:0:0:0:808:808"],
    ["64:ff9b::1:0:808:808", 6, "64:ff9b:0:0:1:0:808:808"],
    ["65:ff9b::808:808", 6, "65:ff9b:0:0:0:0:808:808"],
    // Neither mapped (ffff) nor translated (ffff:0): one byte off is plain IPv6.
    ["::fffe:808:808", 6, "0:0:0:0:0:fffe:808:808"],
    ["::ff:808:808", 6, "0:0:0:0:0:ff:808:808"],
    ["::1:0:808:808", 6, "0:0:0:0:1:0:808:808"],
    ["::ffff:1:808:808", 6, "0:0:0:0:ffff:1:808:808"],
    ["::fffe:0:808:808", 6, "0:0:0:0:fffe:0:808:808"],
    ["::feff:0:808:808", 6, "0:0:0:0:feff:0:808:808"],
    ["1::ffff:808:808", 6, "1:0:0:0:0:ffff:808:808"],
    ["0:0:0:1::808:808", 6, "0:0:0:1:0:0:808:808"],
    ["::1200:7f00:1", 6, "0:0:0:0:0:1200:7f00:1"], // not IPv4-compatible: bytes 10-11 are not both 0
    // A dotted tail of multi-digit parts.
    ["::ffff:10.100.200.255", 4, "10.100.200.255"],
  ])("%s → IPv%s %s", (input, family, address) => {
    expect(normalizeAddress(input)).toEqual({ family, address });
  });

  it.each([
    "1::2::3",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7::8:9",
    "::g",
    "::12345",
    "::1.2.3.256",
    "::1.2.3",
    "1:2:3:4:5:6:7:1.2.3.4",
    "1:2:3:4::5:6:7:8::", // three halves, eight groups: still no address
    "::ffff:8.8.8.8x",
    "127.0.0[.1", // brackets are stripped only around the whole address
    "10.0.0.1]2",
    "not-an-ip",
    "",
  ])("%s is not an address", (input) => {
    expect(normalizeAddress(input)).toBeNull();
    expect(isNonPublicAddress(input)).toBe(true);
  });
});

describe("allow-list entries", () => {
  it("parses comma-separated text, ignoring blanks", () => {
    expect(parseAllowHosts(" a.internal , ,10.0.0.0/8,")).toEqual(["a.internal", "10.0.0.0/8"]);
    expect(parseAllowHosts(undefined)).toEqual([]);
    expect(parseAllowHosts("")).toEqual([]);
  });

  it("matches names case-insensitively, with or without a trailing dot, and exactly", () => {
    const policy = createAddressPolicy([" Auth.Internal. ", ""]);
    expect(policy.allows("auth.internal", "10.0.0.1")).toBe(true);
    expect(policy.allows("AUTH.INTERNAL.", "10.0.0.1")).toBe(true);
    expect(policy.allows("x.auth.internal", "10.0.0.1")).toBe(false);
    expect(policy.allows("auth.internal.evil", "10.0.0.1")).toBe(false);
  });

  it("matches a bracketed IPv6 host name and an IPv6 CIDR", () => {
    const policy = createAddressPolicy(["fd00::/8", "[fe80::1]"]);
    expect(policy.allows("x", "fd00::5")).toBe(true);
    expect(policy.allows("x", "fc00::5")).toBe(false);
    expect(policy.allows("x", "fe80::1")).toBe(true);
    expect(policy.allows("x", "fe80::2")).toBe(false);
    expect(createAddressPolicy(["[::1]"]).allows("[::1]", "::1")).toBe(true);
  });

  it("matches an address entry in every spelling of it", () => {
    const policy = createAddressPolicy(["::ffff:127.0.0.1"]);
    expect(policy.allows("x", "127.0.0.1")).toBe(true);
    expect(policy.allows("x", "127.0.0.2")).toBe(false);
  });

  it("takes CIDR prefixes at their bounds and refuses them past", () => {
    expect(createAddressPolicy(["10.0.0.0/0"]).allows("x", "192.168.0.1")).toBe(true);
    expect(createAddressPolicy(["10.0.0.1/32"]).allows("x", "10.0.0.1")).toBe(true);
    expect(createAddressPolicy(["10.0.0.1/32"]).allows("x", "10.0.0.2")).toBe(false);
    expect(createAddressPolicy(["fd00::1/128"]).allows("x", "fd00::1")).toBe(true);
    for (const bad of ["10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/1.5", "10.0.0.0/x", "fd00::/129", "x.y/8"])
      expect(() => createAddressPolicy([bad]), bad).toThrow(/is not a host name/);
  });

  it("takes ports at their bounds and refuses them past", () => {
    expect(createAddressPolicy(["10.0.0.1:1"]).allows("x", "10.0.0.1", 1)).toBe(true);
    expect(createAddressPolicy(["10.0.0.1:65535"]).allows("x", "10.0.0.1", 65535)).toBe(true);
    expect(createAddressPolicy(["[fd00::1]:443"]).allows("x", "fd00::1", 443)).toBe(true);
    expect(createAddressPolicy(["[fd00::1]:443"]).allows("x", "fd00::1", 80)).toBe(false);
    expect(createAddressPolicy(["[fd00::1]"]).allows("x", "fd00::1", 80)).toBe(true);
    for (const bad of ["10.0.0.1:0", "10.0.0.1:65536", "a:b:c", "host:", "bad_name", "[fd00::1]:x"])
      expect(() => createAddressPolicy([bad]), bad).toThrow(/is not a host name/);
  });

  it("refuses a malformed entry with CONFIGURATION_ERROR", () => {
    // Text around a bracketed address or after a port is no entry, never a looser one.
    for (const bad of ["x[::1]", "[::1]x", "auth.internal:80x", "10.0.0.1:80:", "bad_name"]) {
      let thrown: unknown;
      try {
        createAddressPolicy([bad]);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, bad).toMatchObject({ name: "CredkitError", code: "CONFIGURATION_ERROR" });
    }
  });

  it("applies an entry with a port to that port only, whatever the port", () => {
    const policy = createAddressPolicy(["127.0.0.1:1"]);
    expect(policy.allows("x", "127.0.0.1", 1)).toBe(true);
    expect(policy.allows("x", "127.0.0.1", 2)).toBe(false);
    expect(policy.allows("x", "127.0.0.1")).toBe(false);
    const named = createAddressPolicy(["auth.internal:1"]);
    expect(named.allows("auth.internal", "10.0.0.1", 1)).toBe(true);
    expect(named.allows("auth.internal", "10.0.0.1", 2)).toBe(false);
  });

  it("never allows something that is not an address", () => {
    expect(createAddressPolicy(["10.0.0.0/8"]).allows("x", "not-an-ip")).toBe(false);
    expect(createAddressPolicy(["not-an-ip"]).allows("x", "not-an-ip")).toBe(false);
  });
});

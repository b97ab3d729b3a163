import { isIP } from "node:net";
import { DEFAULT_MIN_PROXY_SECRET_LENGTH } from "@credkit/core";
import { configError, type Env, integerVar } from "./env-vars.js";
import type { RateLimits } from "./http/rate-limit.js";

/** The hardening limits of the configuration (docs/security-limits.md lists them with their defaults). */
export interface LimitsConfig {
  /** The per-minute limits of the rate limiter (0 turns one off). */
  rateLimits: RateLimits;
  /** Express `trust proxy` list: addresses/CIDRs (or loopback, linklocal, uniquelocal) whose `X-Forwarded-For` is believed. */
  trustedProxies: string[];
  /** Milliseconds after a JWKS fetch (or failed attempt) before an unknown `kid` may trigger another. */
  jwksCooldownMs: number;
  /** Failed `/authz` attempts (bad end-client credential or gateway token) per caller address per minute; 0 = off. */
  authzFailuresPerMinute: number;
  /** The fewest characters of a proxy credential's presented secret (core's `minProxySecretLength`). */
  minProxySecretLength: number;
}

const NAMED_RANGES = new Set(["loopback", "linklocal", "uniquelocal"]);

/** Reads the limits from the environment; `perMinute` is the already-read per-token API limit. */
export function limitsFromEnv(env: Env, perMinute: number): LimitsConfig {
  const trustedProxies = (env.CREDKIT_TRUSTED_PROXIES ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  const bad = trustedProxies.find((entry) => !isTrustedProxyEntry(entry));
  if (bad !== undefined) {
    throw configError([
      {
        path: "CREDKIT_TRUSTED_PROXIES",
        message: "must be comma-separated IP addresses or CIDRs (or loopback, linklocal, uniquelocal)",
      },
    ]);
  }
  return {
    rateLimits: {
      perMinute,
      dataPlanePerMinute: integerVar(env, "CREDKIT_DATA_PLANE_RATE_LIMIT_PER_MINUTE", 0, 0, 100_000_000),
      authFailuresPerMinute: integerVar(env, "CREDKIT_AUTH_FAILURE_LIMIT_PER_MINUTE", 60, 0, 10_000_000),
      publicPerMinute: integerVar(env, "CREDKIT_PUBLIC_RATE_LIMIT_PER_MINUTE", 300, 0, 10_000_000),
    },
    trustedProxies,
    jwksCooldownMs: integerVar(env, "CREDKIT_JWKS_COOLDOWN_MS", 30_000, 0, 3_600_000),
    authzFailuresPerMinute: integerVar(env, "CREDKIT_AUTHZ_FAILURE_LIMIT_PER_MINUTE", 60, 0, 10_000_000),
    minProxySecretLength: integerVar(
      env,
      "CREDKIT_MIN_PROXY_SECRET_LENGTH",
      DEFAULT_MIN_PROXY_SECRET_LENGTH,
      1,
      1024,
    ),
  };
}

function isTrustedProxyEntry(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address = "", bits, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

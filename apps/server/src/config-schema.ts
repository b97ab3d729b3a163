import { actorScopes, awsRegions, isValidClientId, isValidRegionName } from "@credkit/core";
import * as z from "zod";

const clientIds = z.union([
  z.literal("*"),
  z
    .array(z.string().refine(isValidClientId, "must be a client id (1-128 of A-Z a-z 0-9 . _ : @ -)"))
    .min(1, 'must list at least one client id, or be "*"'),
]);

/** One entry of `CREDKIT_USER_TOKENS`. */
export const userTokenSchema = z.strictObject({
  token: z.string().min(16, "must be at least 16 characters"),
  userId: z.string().min(1, "must not be empty").max(256),
  clientIds,
  scopes: z.array(z.enum(actorScopes)).optional(),
});

/** The storage kinds a region can use. */
export const storageKinds = ["memory", "redis", "dynamodb"] as const;

/** Where one region's credentials live. */
export const storageSchema = z.discriminatedUnion("storage", [
  z.strictObject({ storage: z.literal("memory") }),
  z
    .strictObject({
      storage: z.literal("redis"),
      url: z
        .string()
        .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
        .optional(),
      clusterNodes: z
        .array(z.string().regex(/^[^:\s]+:\d+$/, "must be host:port"))
        .min(1)
        .optional(),
      sentinels: z
        .array(z.string().regex(/^[^:\s]+:\d+$/, "must be host:port"))
        .min(1)
        .optional()
        .describe("Redis Sentinel addresses, instead of url / clusterNodes"),
      sentinelName: z
        .string()
        .regex(
          /^[A-Za-z0-9_.-]{1,128}$/,
          "must be the master's name as Sentinel knows it (A-Z a-z 0-9 _ . -)",
        )
        .optional()
        .describe("The master's name in the Sentinels' configuration"),
      sentinelPassword: z.string().min(1).max(512).optional().describe("Password of the Sentinels"),
      password: z
        .string()
        .min(1)
        .max(512)
        .optional()
        .describe("Password of the Redis servers behind Sentinel"),
      waitReplicas: z
        .number()
        .int()
        .min(0)
        .max(16)
        .optional()
        .describe("Replicas that must confirm each credential write (WAIT); default 1 with Sentinel, else 0"),
      waitTimeoutMs: z
        .number()
        .int()
        .min(1)
        .max(60_000)
        .optional()
        .describe("Milliseconds a write waits for its replicas; default 500"),
      keyPrefix: z.string().min(1).max(64).optional(),
    })
    .superRefine((redis, ctx) => {
      const modes = [redis.url, redis.clusterNodes, redis.sentinels].filter((m) => m !== undefined).length;
      // No connection would silently mean a Redis on localhost: with a region map, CREDKIT_REDIS_URL (or
      // the cluster / Sentinel variables) fills it, else the entry must name one.
      if (modes === 0) {
        ctx.addIssue({
          code: "custom",
          path: ["url"],
          message:
            "is required (or clusterNodes, or sentinels; or set CREDKIT_REDIS_URL as every entry's default)",
        });
      }
      if (modes > 1) {
        ctx.addIssue({
          code: "custom",
          path: ["url"],
          message: "set only one of url, clusterNodes, sentinels",
        });
      }
      if (redis.sentinels && !redis.sentinelName) {
        ctx.addIssue({ code: "custom", path: ["sentinelName"], message: "is required with sentinels" });
      }
      if (!redis.sentinels && (redis.sentinelName || redis.sentinelPassword || redis.password)) {
        ctx.addIssue({
          code: "custom",
          path: ["sentinels"],
          message:
            "is required with sentinelName / sentinelPassword / password (put a URL's password in the URL)",
        });
      }
    }),
  z.strictObject({
    storage: z.literal("dynamodb"),
    table: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, "must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)"),
    endpoint: z
      .url({
        protocol: /^https?$/,
        error: "must be an http(s) URL with its scheme, e.g. http://127.0.0.1:8000",
      })
      .optional(),
    region: z
      .string()
      .regex(/^[a-z0-9-]{2,32}$/, "must be an AWS region name")
      .optional()
      .describe("AWS region of the table; in a region map it defaults to the credkit region"),
    createTable: z.boolean().optional().describe("Create the table (and its TTL) at start if it is missing"),
  }),
]);

/** A storage description. */
export type StorageConfig = z.output<typeof storageSchema>;

/**
 * True for a store that outlives the process (redis, dynamodb). The one test of durability: a durable
 * store needs a fixed key, gets the near cache by default (core's rule on the built store agrees: its
 * `name` is not `memory`), and is what `credkit rotate` re-encrypts.
 */
export function isDurable(storage: StorageConfig): boolean {
  return storage.storage !== "memory";
}

const regionName = z.string().refine(isValidRegionName, "must be a region name such as eu-west-1");

/** The keyring list of `CREDKIT_KEYRING`. */
export const keyringSchema = z
  .array(z.strictObject({ id: z.string(), key: z.string(), active: z.boolean().optional() }))
  .min(1, "must list at least one key")
  .refine(
    (keys) => keys.filter((k) => k.active).length === 1 || keys.length === 1,
    "exactly one key must be active",
  );

/** The configuration file (`CREDKIT_CONFIG`) and the parsed environment share this shape. */
export const fileConfigSchema = z.strictObject({
  regions: z.record(regionName, storageSchema).optional(),
  defaultRegion: regionName.optional(),
});

/** The served regions when nothing else is configured. */
export const defaultRegions: readonly string[] = awsRegions;

import { CredkitError } from "./errors.js";
import { isValidRegionName, regionOfCredentialId } from "./ids.js";
import type { CredentialStore } from "./storage.js";

/** Every standard AWS region name: the regions the embedded default serves. */
// biome-ignore format: a dense list of short names reads better than one per line
export const awsRegions = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "us-gov-east-1", "us-gov-west-1",
  "ca-central-1", "ca-west-1", "mx-central-1", "sa-east-1",
  "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1",
  "il-central-1", "me-south-1", "me-central-1", "af-south-1",
  "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
  "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6",
  "ap-southeast-7", "cn-north-1", "cn-northwest-1",
] as const;

/** Which store serves which region. Several regions may share one store object. */
export type RegionMap = Readonly<Record<string, CredentialStore>>;

/** Routes regions and credential ids to stores. */
export interface RegionRouter {
  /** The served region names, sorted. */
  readonly regions: readonly string[];
  /** Each distinct store once, with the regions it serves. */
  readonly stores: readonly { store: CredentialStore; regions: readonly string[] }[];
  /** The store of a served region; VALIDATION_ERROR naming the served regions otherwise. */
  storeForRegion(region: string): CredentialStore;
  /** The store a credential id lives in, or null when the id is malformed or its region is not served. */
  storeForId(credentialId: string): CredentialStore | null;
}

/** Builds the router, checking region names. An empty map is a configuration error. */
export function createRegionRouter(map: RegionMap): RegionRouter {
  const regions = Object.keys(map).sort();
  if (regions.length === 0) throw new CredkitError("CONFIGURATION_ERROR", "No region is configured");
  for (const region of regions) {
    if (!isValidRegionName(region)) {
      throw new CredkitError("CONFIGURATION_ERROR", `"${region}" is not a valid region name`);
    }
  }
  const grouped = new Map<CredentialStore, string[]>();
  for (const region of regions) {
    const store = map[region] as CredentialStore;
    grouped.set(store, [...(grouped.get(store) ?? []), region]);
  }
  return {
    regions,
    stores: [...grouped].map(([store, served]) => ({ store, regions: served })),
    storeForRegion(region) {
      const store = map[region];
      if (store && Object.hasOwn(map, region)) return store;
      const served = regions.join(", ");
      throw new CredkitError(
        "VALIDATION_ERROR",
        `Region "${region}" is not served here; ${servedRegionsInBrief(regions)}`,
        {
          errors: [{ path: "region", message: `must be one of the served regions (${served})` }],
        },
      );
    },
    storeForId(credentialId) {
      const region = regionOfCredentialId(credentialId);
      return region !== null && Object.hasOwn(map, region) ? (map[region] ?? null) : null;
    },
  };
}

/** Regions a message lists in full; past this many it counts them and the field error lists them. */
const LISTED_INLINE = 5;

/**
 * The served regions for an error's top-level message: listed when few, else counted, so that a 400
 * on a server with every AWS region does not carry the list twice (its field error lists them).
 */
export function servedRegionsInBrief(regions: readonly string[]): string {
  return regions.length <= LISTED_INLINE
    ? `served regions: ${regions.join(", ")}`
    : `this server serves ${regions.length} regions (listed in errors[0].message)`;
}

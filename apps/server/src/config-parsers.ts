import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { availableParallelism } from "node:os";
import {
  CredkitError,
  type FieldError,
  isCredkitError,
  isValidRegionName,
  parseOrThrow,
} from "@credkit/core";
import type * as z from "zod";
import { defaultRegions } from "./config-schema.js";

/** The environment a configuration is read from (`process.env` or a test's own object). */
export type Env = Record<string, string | undefined>;

/**
 * Turns the text of one variable (never empty: an empty variable counts as unset) into its value, or
 * throws a CONFIGURATION_ERROR naming `name` and what the value must be, never the value itself.
 */
export type Parser<T> = (raw: string, name: string) => T;

/** A CONFIGURATION_ERROR listing every variable at fault with what it must be (never its value). */
export function configError(problems: FieldError[]): CredkitError {
  const lines = problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n");
  return new CredkitError("CONFIGURATION_ERROR", `Invalid configuration:\n${lines}`, { errors: problems });
}

/** The one problem of variable `name`. */
export function problem(name: string, message: string): CredkitError {
  return configError([{ path: name, message }]);
}

/** An integer from `min` to `max`. */
export function integer(min: number, max: number): Parser<number> {
  return (raw, name) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw problem(name, `must be an integer from ${min} to ${max}`);
    }
    return value;
  };
}

/** Seconds from `min` to `max`, as the milliseconds the packages take. */
export function secondsAsMs(min: number, max: number): Parser<number> {
  const seconds = integer(min, max);
  return (raw, name) => seconds(raw, name) * 1000;
}

/** Comma-separated seconds, each from `min` to `max` (at most 10), as the milliseconds the packages take. */
export function secondsListAsMs(min: number, max: number): Parser<number[]> {
  const seconds = integer(min, max);
  return (raw, name) => {
    const entries = raw
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean);
    if (entries.length === 0 || entries.length > 10)
      throw problem(name, "must list 1 to 10 numbers of seconds");
    return entries.map((entry) => seconds(entry, name) * 1000);
  };
}

/** `true`/`1` or `false`/`0`, in any case; anything else (`yes`) is refused rather than read as false. */
export const boolean: Parser<boolean> = (raw, name) => {
  if (/^(true|1)$/i.test(raw)) return true;
  if (/^(false|0)$/i.test(raw)) return false;
  throw problem(name, "must be true or false");
};

/** The text as it is. */
export const text: Parser<string> = (raw) => raw;

/** Text matching `pattern`, else `message`. */
export function matching(pattern: RegExp, message: string): Parser<string> {
  return (raw, name) => {
    if (!pattern.test(raw)) throw problem(name, message);
    return raw;
  };
}

/** One of `values`, exactly. */
export function oneOf<const T extends string>(values: readonly T[], message?: string): Parser<T> {
  return (raw, name) => {
    if (!(values as readonly string[]).includes(raw)) {
      throw problem(name, message ?? `must be one of: ${values.join(", ")}`);
    }
    return raw as T;
  };
}

/**
 * Comma-separated items, trimmed, empty ones dropped (`a, b,` is `[a, b]`), each checked by `item`
 * (which names what an item must be). No item at all counts as unset.
 */
export function list(item: (entry: string) => boolean, message: string): Parser<string[] | undefined> {
  return (raw, name) => {
    const entries = raw
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean);
    if (entries.some((entry) => !item(entry))) throw problem(name, message);
    return entries.length > 0 ? entries : undefined;
  };
}

/** `host:port` (the shape of a Redis node or Sentinel address). */
export function isHostPort(entry: string): boolean {
  return /^[^:\s]+:\d+$/.test(entry);
}

/** JSON validated by `schema`, field paths re-labelled under the variable's name. */
export function json<S extends z.ZodType>(schema: S): Parser<z.output<S>> {
  return (raw, name) => validated(name, schema, jsonText(raw, name));
}

/** Parses JSON, naming the variable (never its value) when it is not JSON. */
export function jsonText(raw: string, name: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw problem(name, "is not valid JSON");
  }
}

/** Validates with zod, re-labelling field paths under `name` (`CREDKIT_USER_TOKENS.0.token`). */
export function validated<S extends z.ZodType>(name: string, schema: S, value: unknown): z.output<S> {
  try {
    return parseOrThrow(schema, value);
  } catch (error) {
    if (isCredkitError(error) && error.errors) {
      throw configError(
        error.errors.map((e) => ({
          path: e.path === "body" ? name : `${name}.${e.path}`,
          message: e.message,
        })),
      );
    }
    throw error;
  }
}

/** The JSON content of the file the variable names (the file's fields are checked with the regions). */
export const jsonFile: Parser<unknown> = (path, name) => {
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch {
    throw problem(name, `cannot read the file ${path}`);
  }
  return jsonText(content, name);
};

/** A size such as `100kb` or `1mb` (the notation of the router's `bodyLimit`). */
export const size: Parser<string> = matching(/^\d+(b|kb|mb)?$/i, "must be a size such as 100kb or 1mb");

/** `auto` (the available cores) or a count from 1 to 256. */
export const processCount: Parser<number> = (raw, name) => {
  const trimmed = raw.trim();
  if (trimmed.toLowerCase() === "auto") return availableParallelism();
  return integer(1, 256)(trimmed, name);
};

/** An IP address or a host name. */
export const host: Parser<string> = (raw, name) => {
  if (isIP(raw) === 0 && !/^[A-Za-z0-9.-]{1,253}$/.test(raw)) {
    throw problem(name, "must be an IP address or a host name");
  }
  return raw;
};

const NAMED_RANGES = new Set(["loopback", "linklocal", "uniquelocal"]);

/** An address, a CIDR, or one of Express's named ranges (`loopback`, `linklocal`, `uniquelocal`). */
export function isTrustedProxyEntry(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address = "", bits, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** An origin a browser sends (`https://app.example.com`, with an optional port). */
export function isOrigin(entry: string): boolean {
  return /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(entry);
}

/** What `CREDKIT_REGIONS` says: a region map (JSON, validated with the storage defaults) or a list. */
export type RegionsSetting = { map: unknown } | { list: string[] };

/** `CREDKIT_REGIONS`: a JSON region map, `*` (every standard region) or `eu-west-1,us-east-1`. */
export const regionsSetting: Parser<RegionsSetting | undefined> = (raw, name) => {
  const trimmed = raw.trim();
  if (trimmed === "") return undefined;
  if (trimmed.startsWith("{")) return { map: jsonText(trimmed, name) };
  if (trimmed === "*") return { list: [...defaultRegions] };
  const regions = [...new Set(trimmed.split(",").map((r) => r.trim()))];
  if (regions.some((r) => !isValidRegionName(r))) {
    throw problem(
      name,
      'must be a JSON region map, "*" (every region shares the one store), or region names separated by commas, such as eu-west-1,us-east-1',
    );
  }
  return { list: regions };
};

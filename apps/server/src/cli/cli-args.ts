import { CredkitError } from "@credkit/core";

/** Parsed `--name value` / `--name=value` options and boolean `--flag`s of one command. */
export type CliOptions = Record<string, string | true>;

/**
 * Parses a command's arguments against the options it accepts (`value` ones take an argument, `flag`
 * ones do not). Unknown options and stray arguments are a CONFIGURATION_ERROR naming them.
 */
export function parseCliArgs(
  args: readonly string[],
  accepted: { value?: readonly string[]; flag?: readonly string[] },
): CliOptions {
  const options: CliOptions = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const match = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(arg);
    const name = match?.[1];
    if (!match || name === undefined) throw usageError(`unexpected argument "${arg}"`);
    if (accepted.flag?.includes(name) && match[2] === undefined) {
      options[name] = true;
    } else if (accepted.value?.includes(name)) {
      const value = match[2] ?? args[++i];
      if (value === undefined || value === "") throw usageError(`--${name} needs a value`);
      options[name] = value;
    } else {
      throw usageError(`unknown option --${name}`);
    }
  }
  return options;
}

/** An integer option within bounds, or its default. */
export function integerOption(options: CliOptions, name: string, fallback: number, max: number): number {
  const raw = options[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== "string" || !Number.isInteger(value) || value < 1 || value > max) {
    throw usageError(`--${name} must be an integer from 1 to ${max}`);
  }
  return value;
}

/** A CONFIGURATION_ERROR about the command line (the CLI exits 2 for it, like bad configuration). */
export function usageError(message: string): CredkitError {
  return new CredkitError("CONFIGURATION_ERROR", message);
}

import { CredkitError } from "./errors.js";

/**
 * `value` when it is an integer from 1 to `max`, else a VALIDATION_ERROR naming the option: for
 * counts checked where a component is built (a batch, a pool, a concurrency), where 0 would do
 * nothing forever and a fraction or NaN would never compare as meant.
 */
export function positiveInteger(value: number, name: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new CredkitError("VALIDATION_ERROR", `${name} must be an integer from 1 to ${max}`, {
      errors: [{ path: name, message: `must be an integer from 1 to ${max}` }],
    });
  }
  return value;
}

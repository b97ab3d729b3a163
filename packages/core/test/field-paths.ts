import { isCredkitError, parseOrThrow } from "../src/index.js";

/**
 * The field paths `schema` refuses in `input` as `parseOrThrow` reports them, each once (an empty value
 * fails its length and its pattern both), or none when it passes.
 */
export function pathsOf(schema: Parameters<typeof parseOrThrow>[0], input: unknown): string[] {
  try {
    parseOrThrow(schema, input);
    return [];
  } catch (error) {
    if (!isCredkitError(error, "VALIDATION_ERROR")) throw error;
    return [...new Set(error.errors?.map((e) => e.path))];
  }
}

/**
 * The path of the first own `__proto__` key anywhere in `input` (JSON.parse makes them), or null.
 * zod's records skip such a key without an issue, so a map sent with one would be stored without that
 * entry while the caller got a 201: validation refuses it instead. Iterative and linear (each node links
 * to its parent; the path is built only when found), so no depth can overflow the stack or go quadratic.
 */
export function protoKeyPath(input: unknown): PropertyKey[] | null {
  if (input === null || typeof input !== "object") return null;
  const nodes: { value: object; parent: number; key: PropertyKey }[] = [
    { value: input, parent: -1, key: "" },
  ];
  const pending = [0];
  for (let index = pending.pop(); index !== undefined; index = pending.pop()) {
    const { value } = nodes[index] as (typeof nodes)[number];
    if (Object.hasOwn(value, "__proto__")) {
      const path: PropertyKey[] = ["__proto__"];
      for (let at = index; at > 0; at = (nodes[at] as (typeof nodes)[number]).parent) {
        path.push((nodes[at] as (typeof nodes)[number]).key);
      }
      path.reverse();
      return path;
    }
    for (const [key, child] of Object.entries(value)) {
      if (child !== null && typeof child === "object") {
        pending.push(
          nodes.push({ value: child, parent: index, key: Array.isArray(value) ? Number(key) : key }) - 1,
        );
      }
    }
  }
  return null;
}

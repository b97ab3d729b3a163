// A Stryker ignorer: error-message text is not mutated (issue 26, docs/development.md). A mutant that
// only changes what an error says is no security bug; the codes, field paths and statuses callers act
// on are still mutated and tested. A zod schema's `.describe("...")` text is not mutated either: only the
// OpenAPI document shows it (documentation, checked where that document is). The plugin object is written out (not made with
// @stryker-mutator/api's declareValuePlugin) so it loads without that package being resolvable here.

/** True for `new CredkitError(code, message, ...)` and `new Error(message)`. */
function isErrorConstruction(node) {
  return (
    node?.type === "NewExpression" &&
    node.callee.type === "Identifier" &&
    /(^|[a-z])Error$/.test(node.callee.name)
  );
}

/** True for a zod check's message argument: `.min(1, "message")`, `.regex(re, "message")`, ... */
function isZodMessage(path) {
  const call = path.parentPath;
  if (!call?.isCallExpression() || call.node.arguments.at(-1) !== path.node) return false;
  const callee = call.node.callee;
  return (
    call.node.arguments.length >= 2 &&
    callee.type === "MemberExpression" &&
    callee.property.type === "Identifier" &&
    ["min", "max", "length", "regex", "refine", "startsWith", "endsWith", "includes"].includes(
      callee.property.name,
    )
  );
}

const isText = (path) => path.isStringLiteral() || path.isTemplateLiteral();

/** True for a zod schema's documentation: `.describe("text")`, which only the OpenAPI document shows. */
function isSchemaDescription(path) {
  const call = path.parentPath;
  if (!call?.isCallExpression() || call.node.arguments.length !== 1 || call.node.arguments[0] !== path.node)
    return false;
  const callee = call.node.callee;
  return (
    callee.type === "MemberExpression" &&
    callee.property.type === "Identifier" &&
    callee.property.name === "describe"
  );
}

export const strykerPlugins = [
  {
    kind: "Ignore",
    name: "error-messages",
    value: {
      shouldIgnore(path) {
        if (!isText(path)) return undefined;
        const parent = path.parentPath;
        // The message of a thrown or returned error (not its code: the first argument of CredkitError).
        if (isErrorConstruction(parent?.node)) {
          const index = parent.node.arguments.indexOf(path.node);
          const isCredkit = parent.node.callee.name === "CredkitError";
          if (index > (isCredkit ? 0 : -1)) return "error-message text";
        }
        // `message: "..."` in an issue or field error.
        if (parent?.isObjectProperty() && parent.node.value === path.node) {
          const key = parent.node.key;
          if ((key.type === "Identifier" ? key.name : key.value) === "message") return "error-message text";
        }
        if (isZodMessage(path)) return "error-message text";
        if (isSchemaDescription(path)) return "schema description text";
        return undefined;
      },
    },
  },
];

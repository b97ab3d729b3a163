import type { OpenApiDocument } from "./openapi.js";
import { type ServerEndpoint, serverEndpoints } from "./server-endpoints.js";

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

/** Escaped text with `backticked` spans as code (the descriptions use that one bit of Markdown). */
const prose = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");

/**
 * The first sentence of a summary, for the index (the full text is in the endpoint's section). A
 * sentence ends at `.`, `!` or `?` before a space or the end, outside parentheses and not after an
 * abbreviation such as "e.g.", so "(e.g. answered 401)" is never cut in two.
 */
export function firstSentence(text: string): string {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (
      depth === 0 &&
      (c === "." || c === "!" || c === "?") &&
      /^(\s|$)/.test(text.slice(i + 1, i + 2))
    ) {
      if (c === "." && /\b(?:e\.g|i\.e|etc|vs)$/i.test(text.slice(0, i))) continue;
      return text.slice(0, c === "." ? i : i + 1);
    }
  }
  return text;
}

interface DocMedia {
  schema?: unknown;
  example?: unknown;
}

interface DocOperation {
  summary?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required: boolean; description: string; example?: string }[];
  requestBody?: { content: Record<string, DocMedia | undefined> };
  responses: Record<string, { description: string; content?: Record<string, DocMedia | undefined> }>;
}

interface Entry {
  method: string;
  path: string;
  op: DocOperation;
  /** A fragment id without braces or slashes, so links stay plain. */
  anchor: string;
}

const schemaBlock = (label: string, schema: unknown) =>
  `<details><summary>${label}</summary><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></details>`;

/** A fragment id without braces or slashes, so links stay plain. */
const anchorOf = (method: string, path: string) =>
  `${method}${path.replace(/[^A-Za-z0-9]+/g, "-")}`.replace(/-$/, "");

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** The example call of an operation as HTTP text: request line, headers, body; then the answer. */
function exampleBlock({ method, path, op }: Entry, success: string): string {
  const params = op.parameters ?? [];
  const value = (name: string) => params.find((p) => p.name === name)?.example;
  const filled = path.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = value(name);
    return v === undefined ? whole : encodeURIComponent(v);
  });
  const query = params
    .filter((p) => p.in === "query" && p.example !== undefined)
    .map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(p.example as string)}`)
    .join("&");
  const body = op.requestBody?.content["application/json"]?.example;
  const headers = [
    ...((op.security ?? []).length > 0 ? ["Authorization: Bearer <token>"] : []),
    ...params
      .filter((p) => p.in === "header" && p.example !== undefined)
      .map((p) => `${p.name}: ${p.example}`),
    ...(body === undefined ? [] : ["Content-Type: application/json"]),
  ];
  const request = [`${method.toUpperCase()} ${filled}${query ? `?${query}` : ""}`, ...headers].join("\n");
  const answer = op.responses[success]?.content?.["application/json"]?.example;
  const html = op.responses[success]?.content?.["text/html"] !== undefined;
  return `<div class="example"><div><b>Example request</b><pre>${escapeHtml(
    body === undefined ? request : `${request}\n\n${json(body)}`,
  )}</pre></div>
<div><b>Example response${html ? " (with <code>Accept: application/json</code>)" : ""}</b><pre>${escapeHtml(
    `${success}${answer === undefined ? "" : `\n\n${json(answer)}`}`,
  )}</pre></div></div>`;
}

function renderOperation(entry: Entry): string {
  const { method, path, op, anchor } = entry;
  const params = (op.parameters ?? [])
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${p.required ? "required" : "optional"}</td><td>${prose(p.description)}</td></tr>`,
    )
    .join("");
  const statuses = Object.keys(op.responses);
  const success = statuses.filter((s) => s.startsWith("2"));
  const errors = statuses.filter((s) => !s.startsWith("2"));
  const successSchema = success
    .map((s) => op.responses[s]?.content?.["application/json"]?.schema)
    .find(Boolean);
  const bodySchema = op.requestBody?.content["application/json"]?.schema;
  return `<section class="op" id="${anchor}" data-method="${method}" data-path="${escapeHtml(path)}">
<h2><span class="method ${method}">${method.toUpperCase()}</span> <code class="path">${escapeHtml(path)}</code></h2>
<p class="summary">${prose(op.summary ?? "")}</p>
${params ? `<table class="params"><thead><tr><th>Parameter</th><th>In</th><th></th><th>Description</th></tr></thead><tbody>${params}</tbody></table>` : ""}
<p class="statuses">${success.map((s) => `<span class="status ok">${s} ${escapeHtml(op.responses[s]?.description ?? "")}</span>`).join(" ")}</p>
<table class="errors"><thead><tr><th>Error</th><th>When</th></tr></thead><tbody>${errors.map((s) => `<tr><td><span class="status err">${s}</span></td><td>${prose(op.responses[s]?.description ?? "")}</td></tr>`).join("")}</tbody></table>
${success[0] ? exampleBlock(entry, success[0]) : ""}
${bodySchema ? schemaBlock("Request body schema", bodySchema) : ""}
${successSchema ? schemaBlock("Response schema", successSchema) : ""}
</section>`;
}

/** An endpoint of the bundled server outside the OpenAPI document, in its own section. */
function renderServerEndpoint(e: ServerEndpoint): string {
  return `<section class="op server" id="${anchorOf(e.method, e.path)}" data-method="${e.method}" data-path="${escapeHtml(e.path)}">
<h3><span class="method ${e.method}">${e.method.toUpperCase()}</span> <code class="path">${escapeHtml(e.path)}</code></h3>
<p class="where">${prose(e.where)}</p>
<p class="summary">${prose(e.summary)}</p>
<table class="errors"><thead><tr><th>Status</th><th>When</th></tr></thead><tbody>${e.statuses.map(([s, d]) => `<tr><td><span class="status ${s.startsWith("2") ? "ok" : "err"}">${s}</span></td><td>${prose(d)}</td></tr>`).join("")}</tbody></table>
<div class="example"><div><b>Example request</b><pre>${escapeHtml(e.exampleRequest)}</pre></div>
<div><b>Example response</b><pre>${escapeHtml(e.exampleResponse)}</pre></div></div>
</section>`;
}

const style = `
:root{--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa;--accent:#0969da}
*{box-sizing:border-box}
body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);background:#fff}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{font-size:.9em;background:var(--soft);border:1px solid #eaeef2;border-radius:4px;padding:0 .25em}
a{color:var(--accent)}
header{background:#0d1117;color:#f0f6fc;padding:1.6rem 0 1.4rem}
header .wrap>p{color:#c9d1d9;margin:.3rem 0 0;max-width:52rem}
header h1{margin:0;font-size:1.7rem;letter-spacing:-.01em}
header .version{font-size:.8rem;font-weight:600;background:#30363d;border-radius:999px;padding:.1rem .55rem;margin-left:.5rem;vertical-align:middle}
.wrap{max-width:68rem;margin:0 auto;padding:0 1.25rem}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:.75rem;margin:1.25rem 0}
.fact{border:1px solid var(--line);border-radius:8px;padding:.6rem .8rem;background:var(--soft);font-size:14px}
.fact b{display:block;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
nav.index{border:1px solid var(--line);border-radius:8px;margin:1.25rem 0 2rem}
nav.index h2{font-size:13px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:0;padding:.6rem .9rem;border-bottom:1px solid var(--line)}
nav.index ul{list-style:none;margin:0;padding:0}
nav.index li+li{border-top:1px solid #eaeef2}
nav.index a{display:grid;grid-template-columns:5rem minmax(0,26rem) 1fr;gap:.9rem;align-items:center;padding:.45rem .9rem;text-decoration:none;color:inherit}
nav.index a:hover{background:var(--soft)}
nav.index .path{background:none;border:0;padding:0;font-size:13.5px;overflow-wrap:anywhere}
nav.index .summary{color:var(--muted);font-size:14px}
.method{display:inline-block;min-width:4.6rem;text-align:center;color:#fff;border-radius:5px;padding:.1rem .4rem;font:600 12.5px/1.5 ui-monospace,monospace;letter-spacing:.03em}
.get{background:#0969da}.post{background:#1a7f37}.put{background:#9a6700}.patch{background:#8250df}.delete{background:#cf222e}
.op{border-top:1px solid var(--line);padding:1.2rem 0 .6rem}
.op h2{margin:0;font-size:1.1rem;display:flex;gap:.7rem;align-items:center;flex-wrap:wrap}
.op h2 .path{background:none;border:0;padding:0;font-size:1rem}
.op .summary{margin:.45rem 0 .8rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0 .8rem;font-size:13.5px}
td,th{border-bottom:1px solid #eaeef2;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);border-bottom:1px solid var(--line)}
td:nth-child(3){color:var(--muted);white-space:nowrap}
.statuses{display:flex;flex-wrap:wrap;gap:.35rem;margin:.4rem 0 .7rem}
.status{display:inline-block;border-radius:999px;padding:.05rem .6rem;font:600 12.5px/1.6 ui-monospace,monospace;text-decoration:none}
.status.ok{background:#dafbe1;color:#116329;border:1px solid #aceebb}
.status.err{background:#fff1f0;color:#a40e26;border:1px solid #ffcecb}
details{margin:.3rem 0}
summary{cursor:pointer;color:var(--accent);font-size:14px}
pre{background:var(--soft);border:1px solid #eaeef2;border-radius:6px;padding:.75rem;overflow:auto;font-size:12px;max-height:28rem}
table.errors{max-width:52rem}
.example{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:.75rem;margin:.4rem 0 .7rem}
.example b{display:block;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin-bottom:.2rem}
.example pre{margin:0}
.any{background:#57606a}
#server{border-top:2px solid var(--ink);margin-top:1.5rem;padding:1.2rem 0 2.5rem}
#server>h2{font-size:1.3rem;margin:0 0 .3rem}
.op h3{margin:0;font-size:1.05rem;display:flex;gap:.7rem;align-items:center;flex-wrap:wrap}
.op h3 .path{background:none;border:0;padding:0;font-size:1rem}
.op .where{margin:.4rem 0 0;color:var(--muted);font-size:14px}
`;

/**
 * A self-contained HTML page documenting the API from its OpenAPI document: an index of every endpoint,
 * then each one's parameters, statuses and schemas. No scripts, fonts or assets from elsewhere, so it
 * works offline and under a strict Content-Security-Policy (`default-src 'none'; style-src
 * 'unsafe-inline'`).
 */
export function renderDocsPage(doc: OpenApiDocument, openApiPath: string): string {
  const entries: Entry[] = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method,
      path,
      op: op as DocOperation,
      anchor: anchorOf(method, path),
    })),
  );
  const index = entries
    .map(
      (e) =>
        `<li><a href="#${e.anchor}" data-method="${e.method}" data-path="${escapeHtml(e.path)}"><span class="method ${e.method}">${e.method.toUpperCase()}</span><code class="path">${escapeHtml(e.path)}</code><span class="summary">${prose(firstSentence(e.op.summary ?? ""))}</span></a></li>`,
    )
    .join("\n");
  const serverIndex = serverEndpoints
    .map(
      (e) =>
        `<li><a href="#${anchorOf(e.method, e.path)}" data-method="${e.method}" data-path="${escapeHtml(e.path)}"><span class="method ${e.method}">${e.method.toUpperCase()}</span><code class="path">${escapeHtml(e.path)}</code><span class="summary">${prose(firstSentence(e.summary))}</span></a></li>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(doc.info.title)}</title>
<style>${style}</style></head>
<body>
<header><div class="wrap">
<h1>${escapeHtml(doc.info.title)}<span class="version">v${escapeHtml(doc.info.version)}</span></h1>
<p>${prose(doc.info.description)}</p>
</div></header>
<main class="wrap">
<div class="facts">
<div class="fact"><b>Authentication</b>Header <code>Authorization: &lt;token&gt;</code>, the token raw or as <code>Bearer &lt;token&gt;</code></div>
<div class="fact"><b>Errors</b>JSON <code>{"message", "code", "errors": [{"path", "message"}]}</code>; each endpoint lists its own statuses</div>
<div class="fact"><b>OpenAPI 3.1</b><a href="${escapeHtml(openApiPath)}">${escapeHtml(openApiPath)}</a>, generated from the same schemas that validate requests</div>
</div>
<nav class="index" aria-label="Endpoints"><h2>Endpoints</h2><ul>
${index}
${serverIndex}
</ul></nav>
${entries.map(renderOperation).join("\n")}
<section id="server"><h2>Data plane and operations</h2>
<p>Served by the credkit server outside the credential API (not in the OpenAPI document): the data-plane listener for reverse proxies on its own port, and the health and metrics routes at the root of the API port.</p>
${serverEndpoints.map(renderServerEndpoint).join("\n")}
</section>
</main>
</body></html>`;
}

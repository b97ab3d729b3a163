import type { OpenApiDocument } from "./openapi.js";

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

interface DocOperation {
  summary?: string;
  parameters?: { name: string; in: string; required: boolean; description: string }[];
  requestBody?: { content: { "application/json": { schema: unknown } } };
  responses: Record<string, { description: string; content?: { "application/json": { schema: unknown } } }>;
}

function renderOperation(method: string, path: string, op: DocOperation): string {
  const params = (op.parameters ?? [])
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${p.in}</td><td>${p.required ? "yes" : "no"}</td><td>${escapeHtml(p.description)}</td></tr>`,
    )
    .join("");
  const body = op.requestBody
    ? `<details><summary>Request body schema</summary><pre>${escapeHtml(JSON.stringify(op.requestBody.content["application/json"].schema, null, 2))}</pre></details>`
    : "";
  const responses = Object.entries(op.responses)
    .map(([status, r]) => `<li><b>${status}</b> ${escapeHtml(r.description)}</li>`)
    .join("");
  return `<section class="op" id="${method}-${escapeHtml(path)}">
<h2><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h2>
<p>${escapeHtml(op.summary ?? "")}</p>
${params ? `<table><tr><th>Parameter</th><th>In</th><th>Required</th><th>Description</th></tr>${params}</table>` : ""}
${body}
<ul class="responses">${responses}</ul>
</section>`;
}

/**
 * A self-contained HTML page documenting the API from its OpenAPI document: no scripts, fonts or
 * assets from elsewhere, so it works offline and under a strict Content-Security-Policy.
 */
export function renderDocsPage(doc: OpenApiDocument, openApiPath: string): string {
  const sections = Object.entries(doc.paths)
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => renderOperation(method, path, op as DocOperation)),
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
code,pre{font-family:ui-monospace,monospace}pre{background:#f4f5f7;padding:.75rem;overflow:auto;font-size:12px}
.op{border-top:1px solid #d0d7de;padding:.5rem 0}.method{display:inline-block;min-width:4.5rem;text-align:center;color:#fff;border-radius:4px;padding:0 .4rem;font-size:13px}
.get{background:#0969da}.post{background:#1a7f37}.put{background:#9a6700}.delete{background:#cf222e}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left;font-size:13px}
</style></head>
<body>
<h1>${escapeHtml(doc.info.title)}</h1>
<p>${escapeHtml(doc.info.description)}</p>
<p>Authenticate with <code>Authorization: &lt;token&gt;</code> or <code>Authorization: Bearer &lt;token&gt;</code>.
Errors are JSON: <code>{"message", "code", "errors": [{"path", "message"}]}</code>.
The machine-readable description is at <a href="${escapeHtml(openApiPath)}">${escapeHtml(openApiPath)}</a>.</p>
${sections}
</body></html>`;
}

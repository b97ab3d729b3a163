import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerRun, startServer } from "./child-processes.js";

const CHROMIUM = "/usr/bin/chromium";
const artifacts = fileURLToPath(new URL("./artifacts/", import.meta.url));
// Everything that could make Chromium reach the network by itself is off; the route below catches the rest.
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let server: ServerRun;
let profile: string;
let context: BrowserContext;
/** Requests the page tried to make anywhere but the server itself (all aborted). */
const foreign: string[] = [];

beforeAll(async () => {
  // Not skipped when the browser is missing: `pnpm test` installs it (scripts/ensure-test-deps.sh).
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium, or run scripts/ensure-test-deps.sh as root)`,
    );
  }
  server = await startServer({ LOG_LEVEL: "warn" });
  profile = await mkdtemp(join(tmpdir(), "credkit-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1280, height: 900 },
    offline: false,
  });
  const origin = new URL(server.url).origin;
  // The network is off for this page: only the server's own loopback origin answers.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    foreign.push(url);
    return route.abort("internetdisconnected");
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await server?.stop();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/** The attribute selector of one endpoint's section or index link. */
const endpoint = (method: string, path: string) =>
  `[data-method="${method.toLowerCase()}"][data-path="${path}"]`;

describe("the docs page in headless Chromium, offline", () => {
  it("lists the endpoints visibly with their own errors and an example, loads nothing from elsewhere, and breaks no CSP rule", async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("requestfailed", (request) => problems.push(`failed: ${request.url()}`));

    const response = await page.goto(`${server.url}/api/docs`, { waitUntil: "load" });
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("default-src 'none'");
    expect(await page.title()).toMatch(/credkit/i);

    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, "docs-page.png"), fullPage: false });
    await page.screenshot({ path: join(artifacts, "docs-page-full.png"), fullPage: true });

    const endpoints = [
      ["GET", "/api/clients/{clientId}/credentials"],
      ["POST", "/api/clients/{clientId}/credentials"],
      ["GET", "/api/clients/{clientId}/credentials/{credentialId}"],
      ["PUT", "/api/clients/{clientId}/credentials/{credentialId}"],
      ["DELETE", "/api/clients/{clientId}/credentials/{credentialId}"],
    ] as const;
    for (const [method, path] of endpoints) {
      const heading = page.locator(`section.op${endpoint(method, path)} h2`);
      await expect.poll(() => heading.isVisible()).toBe(true);
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a reader sees
      const text = (await heading.innerText()).replace(/\s+/g, " ").trim();
      expect(text).toBe(`${method} ${path}`);
      // On screen, not just in the DOM: a real box inside the page.
      const box = await heading.boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(100);
      expect(box?.height ?? 0).toBeGreaterThan(10);
    }
    // The index at the top links to each of them.
    for (const [method, path] of endpoints) {
      const link = page.locator(`nav.index a${endpoint(method, path)}`);
      await expect.poll(() => link.isVisible()).toBe(true);
    }

    // Each route lists its own errors: a GET list has no body and writes nothing, so no 409/412/413/415.
    const statusesOf = async (method: string, path: string) =>
      (await page.locator(`section.op${endpoint(method, path)} table.errors .status`).allInnerTexts()).map(
        (t) => t.trim(),
      );
    expect(await statusesOf("GET", "/api/clients/{clientId}/credentials")).toEqual([
      "400",
      "401",
      "403",
      "404",
      "429",
      "500",
      "503",
    ]);
    expect(await statusesOf("POST", "/api/clients/{clientId}/credentials")).toEqual(
      expect.arrayContaining(["409", "413", "415"]),
    );
    // An example per operation, on screen: the create's request and its answer.
    const createExample = page.locator(
      `section.op${endpoint("POST", "/api/clients/{clientId}/credentials")} .example pre`,
    );
    await expect.poll(() => createExample.first().isVisible()).toBe(true);
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a reader sees
    expect(await createExample.first().innerText()).toContain("POST /api/clients/acme/credentials");
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a reader sees
    expect(await createExample.nth(1).innerText()).toMatch(/^201\n[\s\S]*"credentialName"/);
    // Every operation, the server's own routes included, has its own example (not a total that one
    // operation with two could make up for another with none).
    const operations = page.locator("section.op");
    expect(await operations.count()).toBeGreaterThanOrEqual(9 + 4);
    const withoutExample = await operations.evaluateAll((sections) =>
      sections
        .filter((s) => !s.querySelector(".example pre"))
        .map((s) => s.id || s.textContent?.slice(0, 60)),
    );
    expect(withoutExample).toEqual([]);
    // No index summary cut mid-sentence.
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a reader sees
    const indexText = await page.locator("nav.index").innerText();
    expect(indexText).toContain("refused the token (e.g. answered 401)");
    // The data plane and the operational routes, in their own section, linked from the index.
    for (const [method, path] of [
      ["ANY", "/authz/{clientId}/{targetCredentialId}"],
      ["GET", "/healthz"],
      ["GET", "/readyz"],
      ["GET", "/metrics"],
    ] as const) {
      const heading = page.locator(`#server section.op${endpoint(method, path)} h3`);
      await expect.poll(() => heading.isVisible()).toBe(true);
      await expect.poll(() => page.locator(`nav.index a${endpoint(method, path)}`).isVisible()).toBe(true);
    }

    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  });
});

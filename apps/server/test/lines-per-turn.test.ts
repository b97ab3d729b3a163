import { spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { Writable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { linesPerTurn } from "../src/lines-per-turn.js";

const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const source = (file: string) =>
  pathToFileURL(fileURLToPath(new URL(`../src/${file}`, import.meta.url))).href;

describe("linesPerTurn", () => {
  it("hands the lines of a turn to the logger at its end, in order, each a line of its own", async () => {
    const written: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        written.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const write = linesPerTurn(pino({ level: "debug" }, sink));
    write("info", { n: 1 }, "request");
    write("debug", { n: 2 }, "request");
    write("info", { n: 3 }, "request");
    expect(written).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(written.map((l) => [l.n, l.level, l.msg])).toEqual([
      [1, 30, "request"],
      [2, 20, "request"],
      [3, 30, "request"],
    ]);
    write("info", { n: 4 }, "request");
    await new Promise((resolve) => setImmediate(resolve));
    expect(written.map((l) => l.n)).toEqual([1, 2, 3, 4]);
  });

  it("writes a line still waiting when the process exits (the server's own stdout destination)", async () => {
    // The line is queued and the process exits in the same turn: only the exit hand-over can write it.
    const script = `
      import { createLogger } from ${JSON.stringify(source("logger.ts"))};
      import { linesPerTurn } from ${JSON.stringify(source("lines-per-turn.ts"))};
      const write = linesPerTurn(createLogger("info"));
      write("info", { requestId: "last-words" }, "request");
      process.exit(0);
    `;
    const child = spawn(process.execPath, ["--import", tsx, "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
    expect(
      stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    ).toMatchObject([{ requestId: "last-words", msg: "request" }]);
  });
});

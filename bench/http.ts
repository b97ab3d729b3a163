import { fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { printTable, type Row, ratio } from "./table.js";

const target = fileURLToPath(new URL("./http-target.ts", import.meta.url));

async function load(kind: "bare" | "credkit", seconds: number) {
  const child = fork(target, [kind], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const [{ port, path, token }] = (await once(child, "message")) as [
    { port: number; path: string; token: string },
  ];
  const options = {
    url: `http://127.0.0.1:${port}${path}`,
    connections: 50,
    headers: { authorization: token },
  };
  try {
    await autocannon({ ...options, duration: 1 }); // warm-up: JIT, connection pools
    const result = await autocannon({ ...options, duration: seconds });
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${kind}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
  } finally {
    child.kill();
  }
}

/** GET one credential through the credkit server vs a bare Express 5 handler over a Map. */
export async function benchHttp(seconds = 5): Promise<Row[]> {
  const bare = await load("bare", seconds);
  const credkit = await load("credkit", seconds);
  const rows: Row[] = [
    {
      bench: "GET one credential (50 conns)",
      subject: "bare Express + Map",
      "ops/s": bare.rps,
      "p50 ms": bare.p50,
      "p99 ms": bare.p99,
    },
    {
      bench: "GET one credential (50 conns)",
      subject: "credkit server (memory)",
      "ops/s": credkit.rps,
      "p50 ms": credkit.p50,
      "p99 ms": credkit.p99,
      ...ratio(credkit.rps, bare.rps, 0.6),
    },
  ];
  printTable("HTTP: credkit server vs bare Express", rows);
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchHttp();

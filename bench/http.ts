import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { createBody } from "./http-body.js";
import { printTable, type Row, ratio } from "./table.js";

const target = fileURLToPath(new URL("./http-target.ts", import.meta.url));

type Subject = "server" | "express-bare" | "handler-node" | "node-bare";
interface Started {
  child: ChildProcess;
  port: number;
  get: string;
  create: string;
  token: string;
}

async function start(subject: Subject, prefill = 1): Promise<Started> {
  const child = fork(target, [subject, String(prefill)], {
    execArgv: [...process.execArgv.filter((a) => a.startsWith("--conditions")), "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const [ready] = (await once(child, "message")) as [Omit<Started, "child">];
  return { child, ...ready };
}

async function cpuOf(child: ChildProcess): Promise<number> {
  child.send("cpu");
  const [{ cpu }] = (await once(child, "message")) as [{ cpu: NodeJS.CpuUsage }];
  return cpu.user + cpu.system;
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  /** CPU of the serving process per answered request, in µs (user + system, from the process itself). */
  cpuUs: number;
}

/** Loads one endpoint of a started subject (50 connections): warm-up, then `seconds` measured. */
async function load(s: Started, op: "get" | "create", seconds: number): Promise<Load> {
  const options = {
    url: `http://127.0.0.1:${s.port}${op === "get" ? s.get : s.create}`,
    connections: 50,
    headers: { authorization: s.token, ...(op === "create" ? { "content-type": "application/json" } : {}) },
    ...(op === "create" ? { method: "POST" as const, body: JSON.stringify(createBody) } : {}),
  };
  await autocannon({ ...options, duration: 1 }); // warm-up: JIT, connection pools
  const before = await cpuOf(s.child);
  const result = await autocannon({ ...options, duration: seconds });
  const cpu = (await cpuOf(s.child)) - before;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${op}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuUs: Math.round(cpu / Math.max(1, result.requests.total)),
  };
}

const row = (bench: string, subject: string, l: Load, vs?: { base: Load; target: number }): Row => ({
  bench,
  subject,
  "ops/s": l.rps,
  "CPU µs/req": l.cpuUs,
  "p50 ms": l.p50,
  "p99 ms": l.p99,
  ...(vs ? ratio(l.rps, vs.base.rps, vs.target) : {}),
  // CPU per request is steadier than throughput on a shared machine: the baseline's over the subject's.
  ...(vs ? { "CPU vs baseline": `${(vs.base.cpuUs / Math.max(1, l.cpuUs)).toFixed(2)}×` } : {}),
});

/** The median of `rounds` loads, by throughput (its CPU figure from the same round). */
function medianLoad(loads: Load[]): Load {
  return [...loads].sort((a, b) => a.rps - b.rps)[Math.floor(loads.length / 2)] as Load;
}

/**
 * Loads a subject and its baseline in alternating rounds, both processes up the whole time, so that
 * the noise of a shared machine falls on both alike; each side's median round is kept.
 */
async function pair(
  subject: Started,
  baseline: Started,
  op: "get" | "create",
  seconds: number,
  rounds: number,
): Promise<{ subject: Load; baseline: Load }> {
  const mine: Load[] = [];
  const theirs: Load[] = [];
  for (let round = 0; round < rounds; round++) {
    theirs.push(await load(baseline, op, seconds));
    mine.push(await load(subject, op, seconds));
  }
  return { subject: medianLoad(mine), baseline: medianLoad(theirs) };
}

/**
 * The management API against bare baselines, side by side in one run (memory store, rate limit off,
 * 50 connections), CPU per request beside throughput: GET and POST create through the bundled server vs
 * bare Express 5 doing the same work (target ≥ 0.9×); the one handler on bare node:http vs a bare
 * node:http handler (≥ 0.8×); create in a client holding 100,000 credentials vs one (≤ 1.2× apart).
 */
export async function benchHttp(seconds = 3, rounds = 3): Promise<Row[]> {
  const started: Started[] = [];
  const up = async (subject: Subject, prefill = 1) => {
    const s = await start(subject, prefill);
    started.push(s);
    return s;
  };
  try {
    const expressBare = await up("express-bare");
    const server = await up("server");
    const getVsExpress = await pair(server, expressBare, "get", seconds, rounds);
    const createVsExpress = await pair(server, expressBare, "create", seconds, rounds);
    for (const s of started.splice(0)) s.child.kill();
    const nodeBare = await up("node-bare");
    const handler = await up("handler-node");
    const getVsNode = await pair(handler, nodeBare, "get", seconds, rounds);
    const createVsNode = await pair(handler, nodeBare, "create", seconds, rounds);
    for (const s of started.splice(0)) s.child.kill();
    // A fresh small client: the rounds above filled the first one.
    const small = await up("handler-node");
    const full = await up("handler-node", 100_000);
    const scale = await pair(full, small, "create", seconds, rounds);
    const rows: Row[] = [
      row("GET one credential", "bare Express 5 + Map", getVsExpress.baseline),
      row("GET one credential", "credkit server (Express, memory)", getVsExpress.subject, {
        base: getVsExpress.baseline,
        target: 0.9,
      }),
      row("POST create", "bare Express 5 + JSON + AES-GCM + Map", createVsExpress.baseline),
      row("POST create", "credkit server (Express, memory)", createVsExpress.subject, {
        base: createVsExpress.baseline,
        target: 0.9,
      }),
      row("GET one credential", "bare node:http + Map", getVsNode.baseline),
      row("GET one credential", "credkit handler on node:http", getVsNode.subject, {
        base: getVsNode.baseline,
        target: 0.8,
      }),
      row("POST create", "bare node:http + JSON + AES-GCM + Map", createVsNode.baseline),
      row("POST create", "credkit handler on node:http", createVsNode.subject, {
        base: createVsNode.baseline,
        target: 0.8,
      }),
      row("POST create, handler on node:http", "client of 1 credential", scale.baseline),
      // ≤ 1.2× apart: the full client keeps at least 1/1.2 of the small one's throughput.
      row("POST create, handler on node:http", "client of 100,000 credentials", scale.subject, {
        base: scale.baseline,
        target: 0.83,
      }),
    ];
    printTable(
      `HTTP: credkit vs bare Express 5 and bare node:http (50 connections, median of ${rounds} alternating ${seconds} s rounds)`,
      rows,
    );
    return rows;
  } finally {
    for (const s of started) s.child.kill();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  await benchHttp(Number(process.argv[2] ?? 3), Number(process.argv[3] ?? 3));

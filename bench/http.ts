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

/** One endpoint measured on a group's two processes: [op, bench, baseline's label, subject's label]. */
type Run = readonly ["get" | "create", string, string, string];

/** Two processes started together, a subject and its baseline, measured on each of `runs`. */
interface Group {
  baseline: Subject;
  subject: Subject;
  /** Credentials put in each side's bench client before measuring: [baseline, subject]. */
  prefill?: readonly [number, number];
  target: number;
  runs: readonly Run[];
}

/** GET one credential and POST create on a credkit subject against a bare host doing the same work. */
const getAndCreate = (bareHost: string, credkit: string): readonly Run[] => [
  ["get", "GET one credential", `bare ${bareHost} + Map`, credkit],
  ["create", "POST create", `bare ${bareHost} + JSON + AES-GCM + Map`, credkit],
];

/** The comparisons, group by group; only one group's two servers run at a time. */
const groups: readonly Group[] = [
  {
    baseline: "express-bare",
    subject: "server",
    target: 0.9,
    runs: getAndCreate("Express 5", "credkit server (Express, memory)"),
  },
  {
    baseline: "node-bare",
    subject: "handler-node",
    target: 0.8,
    runs: getAndCreate("node:http", "credkit handler on node:http"),
  },
  {
    // Fresh clients (the rounds above filled the first ones). ≤ 1.2× apart: the full client keeps at
    // least 1/1.2 of the small one's throughput.
    baseline: "handler-node",
    subject: "handler-node",
    prefill: [1, 100_000],
    target: 0.83,
    runs: [
      [
        "create",
        "POST create, handler on node:http",
        "client of 1 credential",
        "client of 100,000 credentials",
      ],
    ],
  },
];

/**
 * The management API against bare baselines, side by side in one run (memory store, rate limit off,
 * 50 connections), CPU per request beside throughput: GET and POST create through the bundled server vs
 * bare Express 5 doing the same work (target ≥ 0.9×); the one handler on bare node:http vs a bare
 * node:http handler (≥ 0.8×); create in a client holding 100,000 credentials vs one (≤ 1.2× apart).
 */
export async function benchHttp(seconds = 3, rounds = 3): Promise<Row[]> {
  const rows: Row[] = [];
  for (const group of groups) {
    const [baselinePrefill, subjectPrefill] = group.prefill ?? [1, 1];
    const started: Started[] = [];
    try {
      started.push(await start(group.baseline, baselinePrefill));
      started.push(await start(group.subject, subjectPrefill));
      const [baseline, subject] = started as [Started, Started];
      for (const [op, bench, baselineLabel, subjectLabel] of group.runs) {
        const measured = await pair(subject, baseline, op, seconds, rounds);
        rows.push(
          row(bench, baselineLabel, measured.baseline),
          row(bench, subjectLabel, measured.subject, { base: measured.baseline, target: group.target }),
        );
      }
    } finally {
      for (const s of started) s.child.kill();
    }
  }
  printTable(
    `HTTP: credkit vs bare Express 5 and bare node:http (50 connections, median of ${rounds} alternating ${seconds} s rounds)`,
    rows,
  );
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  await benchHttp(Number(process.argv[2] ?? 3), Number(process.argv[3] ?? 3));

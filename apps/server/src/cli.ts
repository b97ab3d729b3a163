#!/usr/bin/env node
import { runCli } from "./cli/run-cli.js";

const controller = new AbortController();
let stops = 0;
const stop = () => {
  // The first signal lets rotate finish its page and save its place; a second one stops at once.
  if (++stops > 1) process.exit(130);
  process.stderr.write("credkit: stopping (send the signal again to stop at once)\n");
  controller.abort();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  signal: controller.signal,
});
// Exit as soon as the output is flushed: a store client may still hold a timer (ioredis keeps a command
// timeout armed after a refused connection) that must not keep a finished command alive.
const flushed = (stream: NodeJS.WriteStream) =>
  new Promise<void>((resolve) => stream.write("", () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);

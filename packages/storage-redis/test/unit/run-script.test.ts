import { describe, expect, it } from "vitest";
import { type RedisClient, runScriptAndWait } from "../../src/run-script.js";
import type { LuaScript } from "../../src/scripts.js";

const script: LuaScript = { lua: "return 1", sha: "0123" };
const wait = { replicas: 2, timeoutMs: 30 };
type Exec = [Error | null, unknown][] | null;

/**
 * A client whose pipelines answer `execs` in turn (what `exec()` resolves to), recording each pipeline's
 * commands: the replies a server gives are pinned against a real one in replica-wait.test.ts; these are
 * the ones only a replica that confirms, or a broken server, gives.
 */
function pipelined(...execs: Exec[]) {
  const sent: string[][] = [];
  const client = {
    pipeline() {
      const commands: string[] = [];
      sent.push(commands);
      const send =
        (name: string) =>
        (...args: unknown[]) => {
          commands.push(`${name} ${args.join(" ")}`);
          return pipeline;
        };
      const pipeline = {
        evalsha: send("evalsha"),
        eval: send("eval"),
        wait: send("wait"),
        exec: async () => execs.shift() ?? null,
      };
      return pipeline;
    },
  };
  return { client: client as unknown as RedisClient, sent };
}

const run = (client: RedisClient) => runScriptAndWait(client, script, ["k1", "k2"], ["a", 7], wait);

describe("runScriptAndWait", () => {
  it("answers the script's reply once as many replicas as asked confirm, in one pipeline", async () => {
    const { client, sent } = pipelined([
      [null, "reply"],
      [null, 2],
    ]);
    await expect(run(client)).resolves.toBe("reply");
    expect(sent).toStrictEqual([["evalsha 0123 2 k1 k2 a 7", "wait 2 30"]]);
  });

  it("refuses with STORAGE_UNAVAILABLE when one replica fewer confirms", async () => {
    const { client } = pipelined([
      [null, "reply"],
      [null, 1],
    ]);
    await expect(run(client)).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE", retryAfterSeconds: 1 });
  });

  it("reloads the script with EVAL, WAIT again in the same pipeline, only on NOSCRIPT", async () => {
    const { client, sent } = pipelined(
      [
        [new Error("NOSCRIPT No matching script"), null],
        [null, 0],
      ],
      [
        [null, "loaded"],
        [null, 3],
      ],
    );
    await expect(run(client)).resolves.toBe("loaded");
    expect(sent).toStrictEqual([
      ["evalsha 0123 2 k1 k2 a 7", "wait 2 30"],
      ["eval return 1 2 k1 k2 a 7", "wait 2 30"],
    ]);
  });

  it("throws a script error that is not NOSCRIPT as it is, without reloading", async () => {
    const failure = new Error("OOM command not allowed");
    const { client, sent } = pipelined([
      [failure, null],
      [null, 2],
    ]);
    await expect(run(client)).rejects.toBe(failure);
    expect(sent).toHaveLength(1);
    // A script whose reply mentions NOSCRIPT is no NOSCRIPT answer.
    const { client: other, sent: otherSent } = pipelined([
      [null, "NOSCRIPT"],
      [null, 2],
    ]);
    await expect(run(other)).resolves.toBe("NOSCRIPT");
    expect(otherSent).toHaveLength(1);
  });

  it("throws WAIT's own error", async () => {
    const failure = new Error("ERR WAIT cannot be used with replica instances");
    const { client } = pipelined([
      [null, "reply"],
      [failure, null],
    ]);
    await expect(run(client)).rejects.toBe(failure);
  });

  it("refuses a WAIT count that is not a number, and a pipeline answer that is not two replies", async () => {
    const { client } = pipelined([
      [null, "reply"],
      [null, "2"],
    ]);
    await expect(run(client)).rejects.toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    for (const exec of [
      null,
      [[null, "reply"]],
      [
        [null, "reply"],
        [null, 2],
        [null, 2],
      ],
    ] as Exec[]) {
      const { client: broken } = pipelined(exec);
      await expect(run(broken), JSON.stringify(exec)).rejects.toThrow(/Unexpected reply/);
    }
  });
});

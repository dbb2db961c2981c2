// `vigil demo --db` as a user runs it, typed commands instead of keys: three mariadbd on loopback, the
// writer's rows acknowledged through virtual server "sql", the primary's mariadbd SIGKILLed, another node
// promoted and the writer acknowledged again, and quitting counts the acknowledged rows on the primary:
// all present. Nothing of the demo is left running afterwards. Skipped, loudly, without MariaDB.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { after, it } from "node:test";

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
const why = existsSync("/usr/sbin/mariadbd") ? undefined : "mariadbd (Debian mariadb-server) is not installed";
if (why) process.stderr.write(`\n!!! SKIPPING the database demo test: ${why}\n\n`);
const base = 20000 + Math.floor(Math.random() * 500) * 20;
let out = "";
const demo = why
  ? undefined
  : spawn(process.execPath, [MAIN, "demo", "--db", "--base-port", String(base), "--timers", "50ms/1s"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
demo?.stdout.on("data", (d: Buffer) => (out += d.toString()));
demo?.stderr.on("data", (d: Buffer) => (out += d.toString()));

/** Processes whose command line names the demo's directory (its vigil nodes, guards and mariadbd). */
function leftovers(dir: string): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

after(() => {
  if (demo && demo.exitCode === null) demo.kill("SIGKILL");
  const dir = /files in (\S+)/.exec(out)?.[1];
  if (dir) for (const pid of leftovers(dir)) spawnSync("kill", ["-9", String(pid)]);
});

async function until(what: string, test: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end || demo?.exitCode !== null) assert.fail(`timed out waiting for ${what}; output:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const acked = (text: string) =>
  Math.max(0, ...[...text.matchAll(/\| (\d+) rows acknowledged/g)].map((m) => Number(m[1])));

it(
  "promotes a replica when the primary's mariadbd is killed, and no acknowledged row is lost",
  { skip: why },
  async () => {
    await until(
      "rows acknowledged through sql on n1",
      () => /db on: n1 \| sql served by: n1 \| writer writing .*\| [1-9]\d* rows acknowledged/.test(out),
      90_000,
    );
    const dir = /files in (\S+)/.exec(out)?.[1] ?? "";
    assert.ok(existsSync(dir), `the demo's directory ${dir}`);
    await until("a few hundred rows", () => acked(out) >= 200, 30_000);
    const mark = out.length;
    demo?.stdin.write("kill primary\n");
    await until(
      "the primary's mariadbd killed",
      () => /killed n1's mariadbd, the primary \(SIGKILL, pid \d+\)/.test(out.slice(mark)),
      5_000,
    );
    await until(
      "another node serving sql and the writer acknowledging there",
      () =>
        /db on: n[23] \| sql served by: n[23] \| writer writing/.test(out.slice(mark)) &&
        acked(out.slice(mark)) > acked(out.slice(0, mark)) + 50,
      60_000,
    );
    demo?.stdin.write("quit\n");
    await until("the demo to stop", () => /demo stopped; nothing left running/.test(out), 30_000);
    const audit =
      /writer: (\d+) rows acknowledged, (\d+) of them present on the primary \(equal: no acknowledged row lost\)/.exec(
        out,
      );
    assert.ok(audit, `the final count:\n${out.slice(-3000)}`);
    console.log(
      `${/writer: .*/.exec(out)?.[0]}\n${/\[n\d\] db (moves|placed) .*/.exec(out.slice(mark))?.[0] ?? "(no move line)"}`,
    );
    assert.equal(audit[1], audit[2]);
    assert.ok(Number(audit[1]) >= acked(out), "the count covers every row the screen showed");
    if (demo && demo.exitCode === null) await new Promise((r) => demo.once("exit", r));
    assert.equal(demo?.exitCode, 0);
    assert.deepEqual(leftovers(dir), [], "no process of the demo is left");
    assert.ok(!existsSync(dir), "its directory is removed");
  },
);

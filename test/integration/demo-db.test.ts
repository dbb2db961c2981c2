// `vigil demo --db` as a user runs it, typed commands instead of keys: three mariadbd on loopback, the
// writer's rows acknowledged through virtual server "sql", the primary's mariadbd SIGKILLed, another node
// promoted and the writer acknowledged again, and quitting counts the acknowledged rows on the primary:
// all present. Nothing of the demo is left running afterwards. Skipped, loudly, without MariaDB.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, it } from "node:test";
import { leftovers, startDemo } from "../helpers/demo-process.js";

const why = existsSync("/usr/sbin/mariadbd") ? undefined : "mariadbd (Debian mariadb-server) is not installed";
if (why) process.stderr.write(`\n!!! SKIPPING the database demo test: ${why}\n\n`);
const base = 20000 + Math.floor(Math.random() * 500) * 20;
const demo = why ? undefined : startDemo(["--db", "--base-port", String(base), "--timers", "50ms/1s"]);
/** Everything the demo printed so far. */
const out = () => demo?.out() ?? "";
const until = async (what: string, test: () => boolean, ms: number) => demo?.until(what, test, ms);

after(() => demo?.cleanup());

/** A node's database role as GET /status reports it. */
interface DbRole {
  role: string;
  replicationIo?: string;
}

const acked = (text: string) =>
  Math.max(0, ...[...text.matchAll(/\| (\d+) rows acknowledged/g)].map((m) => Number(m[1])));

it(
  "promotes a replica when the primary's mariadbd is killed; with a replica gone, waits until the operator forces it; no acknowledged row is lost",
  { skip: why },
  async () => {
    await until(
      "rows acknowledged through sql on n1",
      () => /db on: n1 \| sql served by: n1 \| writer writing .*\| [1-9]\d* rows acknowledged/.test(out()),
      90_000,
    );
    const dir = /files in (\S+)/.exec(out())?.[1] ?? "";
    assert.ok(existsSync(dir), `the demo's directory ${dir}`);
    await until("a few hundred rows", () => acked(out()) >= 200, 90_000);
    const mark = out().length;
    assert.match((await demo?.killPrimary(30_000)) ?? "", /killed n1's mariadbd, the primary/);
    await until(
      "another node serving sql and the writer acknowledging there",
      () =>
        /db on: n[23] \| sql served by: n[23] \| writer writing/.test(out().slice(mark)) &&
        acked(out().slice(mark)) > acked(out().slice(0, mark)) + 50,
      60_000,
    );
    const firstMove = /\[n\d\] db (moves|placed) .*/.exec(out().slice(mark))?.[0] ?? "(no move line)";

    // A second failure with a replica gone: the promotion waits for it, says so, and the operator forces it.
    // The primary now: the last status line (a loaded machine may have moved the group more than once).
    const primary = [...out().matchAll(/db on: (n[23]) \| sql served by: \1 \| writer writing/g)].at(-1)?.[1] as string;
    const gone = primary === "n2" ? "n3" : "n2";
    const token = /API token: +(\w+)/.exec(out())?.[1] ?? "";
    const call = async (node: string, method: string, path: string) => {
      const port = base + Number(node.slice(1)) - 1;
      const r = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}` },
      }).catch((e: Error) => ({ status: 0, text: async () => e.message }));
      return { status: r.status, text: await r.text() };
    };
    demo?.proc.stdin.write(`kill ${gone}\n`);
    const replicaPid = Number(readFileSync(`${dir}/db-${gone}/vigil-mariadbd.pid`, "utf8"));
    process.kill(replicaPid, "SIGKILL");
    assert.equal((await call(primary, "POST", "/groups/db/cleanup")).status, 200, "vigil cleanup db");
    const replicating = async () => {
      const r = await call("n1", "GET", "/status");
      const d =
        r.status === 200 ? (JSON.parse(r.text) as { databases?: Record<string, DbRole> }).databases?.db : undefined;
      return d?.role === "replica" && d.replicationIo === "Yes";
    };
    const rejoin = Date.now() + 60_000;
    while (!(await replicating()) && Date.now() < rejoin) await new Promise((r) => setTimeout(r, 250));
    assert.ok(await replicating(), `n1 rejoined as a replica:\n${out().slice(-2000)}`);
    const mark2 = out().length;
    await demo?.killPrimary(30_000);
    let forced = { status: 0, text: "" };
    const end = Date.now() + 60_000;
    while (forced.status !== 200 && Date.now() < end) {
      forced = await call("n1", "POST", "/db/db/force");
      if (forced.status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(forced.status, 200, `vigil db force db on n1: ${forced.text}\n${out().slice(mark2)}`);
    assert.match(forced.text, new RegExp(`forced past: waiting for ${gone} \\(`));
    await until(
      "n1 promoted and the writer acknowledging there",
      () => /db on: n1 \| sql served by: n1 \| writer writing/.test(out().slice(mark2)),
      60_000,
    );
    demo?.proc.stdin.write("quit\n");
    await until("the demo to stop", () => /demo stopped; nothing left running/.test(out()), 30_000);
    const audit =
      /writer: (\d+) rows acknowledged, (\d+) of them present on the primary \(equal: no acknowledged row lost\)/.exec(
        out(),
      );
    assert.ok(audit, `the final count:\n${out().slice(-3000)}`);
    console.log(`${/writer: .*/.exec(out())?.[0]}\n${firstMove}\n${forced.text.trim()}`);
    assert.equal(audit[1], audit[2]);
    assert.ok(Number(audit[1]) >= acked(out()), "the count covers every row the screen showed");
    const p = demo?.proc;
    if (p && p.exitCode === null) await new Promise((r) => p.once("exit", r));
    assert.equal(p?.exitCode, 0);
    assert.deepEqual(leftovers(dir), [], "no process of the demo is left");
    assert.ok(!existsSync(dir), "its directory is removed");
  },
);

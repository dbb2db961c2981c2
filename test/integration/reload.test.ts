// SIGHUP reload against a real `vigil run` process: an invalid edit or a restart-only change is refused
// (located, the running config kept); a valid edit is applied as a diff: an added group starts, a
// removed one stops, a changed tail restarts alone, a monitor-only change restarts nothing, a new token
// takes effect, and a group that did not change is never touched. Resources are LSB scripts that log
// every call; one keeps a real process whose pid must survive every reload.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LocalCluster } from "../helpers/local-cluster.js";

let cluster: LocalCluster;
const work = mkdtempSync(join(tmpdir(), "vigil-reload-"));
const svc = writeService(work);
const notifyScript = join(work, "notify.sh");
writeFileSync(notifyScript, `#!/bin/sh\necho "$*" >> ${join(work, "notify.log")}\n`, { mode: 0o755 });
const notified = () =>
  existsSync(join(work, "notify.log")) ? readFileSync(join(work, "notify.log"), "utf8").trim().split("\n") : [];
after(() => rmSync(work, { recursive: true, force: true }));
const calls = () =>
  existsSync(join(work, "calls.log"))
    ? readFileSync(join(work, "calls.log"), "utf8").trim().split("\n").filter(Boolean)
    : [];
const pidOf = (name: string) => Number(readFileSync(join(work, `${name}.pid`), "utf8"));
/** Whether a process runs (a zombie nobody reaped yet counts as gone). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};
const STARTED = ["start db1", "start db2", "start db3", "start other1"];
/** The calls log with the first (parallel, so interleaved) start-up of db and other put in order. */
const ordered = () => {
  const all = calls();
  return [...all.slice(0, 4).sort(), ...all.slice(4)];
};

/** An LSB script: `svc ACTION NAME`; start runs a real `sleep` whose pid it keeps, and logs every call. */
function writeService(dir: string): string {
  const path = join(dir, "svc.sh");
  writeFileSync(
    path,
    `#!/bin/sh
d=${dir}
case "$1" in
  start) echo "start $2" >> $d/calls.log; sleep 600 >/dev/null 2>&1 & echo $! > $d/$2.pid ;;
  stop) echo "stop $2" >> $d/calls.log; [ -f $d/$2.pid ] && kill $(cat $d/$2.pid) 2>/dev/null; rm -f $d/$2.pid ;;
  status) [ -f $d/$2.pid ] && kill -0 $(cat $d/$2.pid) 2>/dev/null && exit 0; exit 3 ;;
esac
exit 0
`,
    { mode: 0o755 },
  );
  return path;
}

const res = (name: string, extra = "") => `      - { type: exec, path: ${svc}, args: [${name}]${extra} }\n`;
const group = (name: string, resources: string, keys = "") => `  - name: ${name}\n${keys}    resources:\n${resources}`;
const dbGroup = (third = "db3", monitor = "") => group("db", res("db1", monitor) + res("db2") + res(third));
const otherGroup = () => group("other", res("other1"), `    notify: ${notifyScript}\n`);

/** Rewrites the groups section (and optionally the cluster section's extra lines) of the config. */
function writeConfig(groups: string, clusterExtra = ""): string {
  const text = readFileSync(cluster.configFile, "utf8");
  const head = text.slice(0, text.indexOf("groups:\n") + "groups:\n".length).replace(/ {2}heartbeat:.*\n/, "");
  const next = (clusterExtra ? head.replace("api:\n", `${clusterExtra}api:\n`) : head) + groups;
  writeFileSync(cluster.configFile, next);
  return next;
}

/** Log messages of a node (pino JSON lines). */
function messages(node = "n1", c = cluster): { level: number; msg: string }[] {
  const text = existsSync(join(c.dir, `${node}.log`)) ? readFileSync(join(c.dir, `${node}.log`), "utf8") : "";
  return text.split("\n").flatMap((l) => {
    try {
      return [JSON.parse(l) as { level: number; msg: string }];
    } catch {
      return [];
    }
  });
}

/** Sends SIGHUP and waits for the reload's final line ("reload applied: …" or "reload rejected: …");
 * returns it with every log message of this reload. */
async function reload(node = "n1", c = cluster): Promise<{ last: string; lines: { level: number; msg: string }[] }> {
  const from = messages(node, c).length;
  c.signal(node, "SIGHUP");
  return c.waitFor(`the reload of ${node} to finish`, async () => {
    const lines = messages(node, c).slice(from);
    const last = lines.find((l) => /^reload (applied|rejected)/.test(l.msg));
    return last ? { last: last.msg, lines } : undefined;
  });
}

async function groupsOfN1(): Promise<Record<string, string>> {
  return (await cluster.status("n1"))?.groups ?? {};
}

async function waitRunning(...names: string[]): Promise<void> {
  await cluster.waitFor(`${names.join(", ")} running`, async () => {
    const g = await groupsOfN1();
    return names.every((n) => g[n] === "running") ? true : undefined;
  });
}

describe("SIGHUP reload (one real vigil process)", () => {
  before(async () => {
    cluster = await LocalCluster.start({ nodes: 1, groupsYaml: dbGroup() + otherGroup() });
    await waitRunning("db", "other");
  });

  after(async () => {
    for (const name of ["db1", "db2", "db3", "db3b", "other1", "web1"]) {
      try {
        process.kill(pidOf(name));
      } catch {
        /* not running */
      }
    }
    await cluster.stop();
  });

  it("refuses an invalid edit with the same located errors as vigil check, and keeps running", async () => {
    const pids = [pidOf("db1"), pidOf("other1")];
    const text = writeConfig(
      group("db", res("db1") + res("db2") + res("db3"), "    migration_threshold: lots\n") + otherGroup(),
    );
    const line = text.split("\n").findIndex((l) => l.includes("migration_threshold: lots")) + 1;
    const r = await reload();
    assert.equal(r.last, "reload rejected: 1 error; still running the previous config");
    const located = r.lines.find((l) => l.msg.includes("[E_TYPE]"));
    assert.ok(located, `no located error in ${JSON.stringify(r.lines)}`);
    assert.equal(located.level, 50, "logged at error level");
    assert.equal(
      located.msg,
      `${cluster.configFile}:${line}:26: groups[0].migration_threshold: expected a whole number, got "lots" [E_TYPE]`,
    );
    assert.deepEqual([pidOf("db1"), pidOf("other1")], pids, "same processes");
    assert.ok(pids.every(alive));
    assert.deepEqual(ordered(), STARTED);
  });

  it("refuses a change that needs a restart, says which key and where", async () => {
    const text = writeConfig(dbGroup() + otherGroup(), "  heartbeat: { interval: 25ms, lease: 300ms }\n");
    const line = text.split("\n").findIndex((l) => l.includes("lease: 300ms")) + 1;
    const r = await reload();
    assert.equal(
      r.last,
      "reload rejected: 1 change needs a restart (cluster.heartbeat.lease); still running the previous config",
    );
    const located = r.lines.find((l) => l.msg.includes("[E_RELOAD_NEEDS_RESTART]"));
    assert.match(
      located?.msg ?? "",
      new RegExp(
        `^${cluster.configFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${line}:\\d+: cluster\\.heartbeat\\.lease: changed \\(was 150ms\\); cannot be applied by a reload: restart vigil on every node`,
      ),
    );
    assert.deepEqual(ordered(), STARTED);
  });

  it("restarts only the changed tail resource of a group; other groups are not touched", async () => {
    const pids = [pidOf("db1"), pidOf("db2"), pidOf("other1")];
    writeConfig(dbGroup("db3b") + otherGroup());
    const r = await reload();
    assert.equal(r.last, "reload applied: group db: resource 3 restarted");
    assert.deepEqual(calls().slice(4), ["stop db3", "start db3b"]);
    assert.deepEqual([pidOf("db1"), pidOf("db2"), pidOf("other1")], pids);
    assert.ok(pids.every(alive));
    assert.deepEqual(await groupsOfN1(), { db: "running", other: "running" });
  });

  it("adds a group, which starts; removes one, which stops, is forgotten and its notify script told", async () => {
    const pids = [pidOf("db1"), pidOf("db2"), pidOf("db3b")];
    const otherPid = pidOf("other1");
    writeConfig(dbGroup("db3b") + group("web", res("web1")));
    const r = await reload();
    assert.equal(r.last, "reload applied: group web added; group other removed (stopping here)");
    await cluster.waitFor("web running and other forgotten", async () => {
      const g = await groupsOfN1();
      return g.web === "running" && !("other" in g) ? true : undefined;
    });
    await cluster.waitFor(
      "other's stop script done",
      async () => (calls().slice(6).includes("stop other1") && !alive(otherPid) ? true : undefined),
      3000,
    );
    assert.deepEqual(calls().slice(6).sort(), ["start web1", "stop other1"]);
    assert.deepEqual([pidOf("db1"), pidOf("db2"), pidOf("db3b")], pids, "db untouched");
    await cluster.waitFor(
      "other's notify script told it stopped",
      async () => (notified().at(-1) === "other n1 stopped" ? true : undefined),
      3000,
    );
    assert.deepEqual(notified(), ["other n1 backup", "other n1 master", "other n1 stopped"]);
  });

  it("applies a monitor-only change without restarting anything", async () => {
    const before = calls().length;
    writeConfig(dbGroup("db3b", ", monitor: { interval: 200ms, timeout: 2s }") + group("web", res("web1")));
    const r = await reload();
    assert.equal(r.last, "reload applied: group db: monitor of resource 1 updated");
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(calls().slice(before), [], "no start or stop");
    assert.deepEqual(await groupsOfN1(), { db: "running", web: "running" });
  });

  it("takes a new API token", async () => {
    writeFileSync(join(cluster.dir, "api.token"), "a-new-token-9876543210\n");
    const r = await reload();
    assert.equal(r.last, "reload applied: token changed");
    assert.equal((await cluster.command("n1", "/maintenance/off")).status, 401, "old token refused");
    assert.equal(
      (await cluster.command("n1", "/maintenance/off", "a-new-token-9876543210")).status,
      200,
      "new token accepted",
    );
  });
});

describe("SIGHUP reload while nodes disagree (three real vigil processes)", () => {
  let c: LocalCluster;
  const base = "  - name: db\n    prefer: [n1]\n    resources:\n      - { type: exec, path: /bin/true }\n";
  const web = `  - name: web\n    prefer: [n2]\n    resources:\n      - { type: exec, path: ${svc}, args: [web1] }\n`;
  const setGroups = (groups: string) => {
    const text = readFileSync(c.configFile, "utf8");
    writeFileSync(c.configFile, text.slice(0, text.indexOf("groups:\n") + "groups:\n".length) + groups);
  };
  const runningOn = async (g: string) =>
    (await c.statuses()).filter((s) => s.groups[g] === "running").map((s) => s.name);

  after(async () => {
    try {
      process.kill(pidOf("web1"));
    } catch {
      /* not running */
    }
    await c?.stop();
  });

  it("a group runs only where both the leader and the assigned node have it, and never on two nodes", async () => {
    c = await LocalCluster.start({ nodes: 3, groupsYaml: base });
    await c.waitFor("db on n1", async () => ((await c.owner("db")) === "n1" ? true : undefined));
    // From when every node hears every other: three daemons booting at once on a small machine can
    // delay heartbeats past the lease once, which is not what this test is about.
    await c.waitFor("every node to hear every other", async () =>
      (await c.statuses()).every((s) => s.peers.every((p) => p.alive)) ? true : undefined,
    );
    const calm = Date.now();
    setGroups(base + web);
    assert.equal((await reload("n1", c)).last, "reload applied: group web added");
    await c.waitFor("the leader to place web on n2", async () =>
      c.decisions().some((d) => d.msg.startsWith("web placed on n2")) ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await runningOn("web"), [], "n2 does not have web yet, so it runs nowhere");
    assert.equal((await reload("n2", c)).last, "reload applied: group web added");
    await c.waitFor("web on n2", async () => ((await c.owner("web")) === "n2" ? true : undefined));
    assert.equal((await reload("n3", c)).last, "reload applied: group web added");
    setGroups(base);
    assert.equal((await reload("n2", c)).last, "reload applied: group web removed (stopping here)");
    await c.waitFor("web stopped on n2", async () => ((await runningOn("web")).length === 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(
      await runningOn("web"),
      [],
      "the leader still has web, but it does not move to a node that still has it",
    );
    for (const n of ["n1", "n3"]) assert.equal((await reload(n, c)).last, "reload applied: group web removed");
    await c.waitFor("the leader to drop web", async () =>
      c.decisions().some((d) => d.msg.startsWith("web is no longer placed")) ? true : undefined,
    );
    assert.equal(await c.owner("db"), "n1");
    assert.deepEqual(
      c
        .decisions()
        .filter((d) => d.at >= calm && / (starts|stops) db:/.test(d.msg))
        .map((d) => d.msg.split(":")[0]),
      [],
      `db was never touched: ${c
        .decisions()
        .filter((d) => / db\b/.test(d.msg))
        .map((d) => d.msg)
        .join(" | ")}`,
    );
  });
});

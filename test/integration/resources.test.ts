// Resource agents against real programs: LSB scripts, the real OCF Dummy agent from resource-agents,
// and systemctl (a stand-in placed first on PATH: there is no systemd as PID 1 here).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { ExecAgent } from "../../src/adapters/resources/exec.js";
import { sameLimits } from "../../src/adapters/resources/resource-agent.js";
import { virtualAddressOf } from "../../src/adapters/resources/agent.js";
import { OcfAgent } from "../../src/adapters/resources/ocf.js";
import { SystemdAgent } from "../../src/adapters/resources/systemd.js";
import type { ClusterEvent } from "../../src/core/cluster/node.js";
import { GroupRunner } from "../../src/daemon/group-runner.js";
import { Notifier, type NotifyCommand } from "../../src/daemon/notifier.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-res-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An LSB-style script keeping its state in a file; `log` records every call in order. */
function lsbScript(name: string, opts: { failStart?: boolean; sleep?: number } = {}): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `#!/bin/sh
echo "${name} $*" >> ${join(dir, "calls.log")}
state=${join(dir, `${name}.state`)}
case "$1" in
  start) ${opts.sleep ? `sleep ${opts.sleep};` : ""} ${opts.failStart ? "echo cannot start >&2; exit 1" : 'touch "$state"'} ;;
  stop) rm -f "$state" ;;
  status) [ -f "$state" ] && exit 0 || exit 3 ;;
esac
`,
    { mode: 0o755 },
  );
  return path;
}

const calls = () =>
  existsSync(join(dir, "calls.log")) ? readFileSync(join(dir, "calls.log"), "utf8").trim().split("\n") : [];

describe("exec resources (LSB scripts)", () => {
  it("start, status and stop map to running and stopped", async () => {
    const a = new ExecAgent(lsbScript("svc"), ["primary"], sameLimits(2000), "test/res");
    assert.equal((await a.monitor()).state, "stopped");
    assert.equal((await a.start()).ok, true);
    assert.equal((await a.monitor()).state, "running");
    assert.equal((await a.stop()).ok, true);
    assert.equal((await a.monitor()).state, "stopped");
    assert.deepEqual(calls().slice(-5), [
      "svc status primary",
      "svc start primary",
      "svc status primary",
      "svc stop primary",
      "svc status primary",
    ]);
  });

  it("in heartbeat's convention take the action last: SCRIPT ARGS... ACTION", async () => {
    const path = join(dir, "hb-res");
    writeFileSync(
      path,
      `#!/bin/sh\nlast=""; for a in "$@"; do last="$a"; done\necho "hb $*" >> ${join(dir, "calls.log")}\nstate=${join(dir, "hb.state")}\ncase "$last" in start) touch "$state" ;; stop) rm -f "$state" ;; status) [ -f "$state" ] && exit 0 || exit 3 ;; *) exit 2 ;; esac\n`,
      { mode: 0o755 },
    );
    const a = new ExecAgent(path, ["10.0.0.1", "eth0"], sameLimits(2000), "test/res", "heartbeat");
    assert.equal((await a.start()).ok, true);
    assert.equal((await a.monitor()).state, "running");
    assert.equal((await a.stop()).ok, true);
    assert.equal((await a.monitor()).state, "stopped");
    assert.deepEqual(calls().slice(-4), [
      "hb 10.0.0.1 eth0 start",
      "hb 10.0.0.1 eth0 status",
      "hb 10.0.0.1 eth0 stop",
      "hb 10.0.0.1 eth0 status",
    ]);
  });

  it("kills an operation at its timeout and counts it as failed", async () => {
    const r = await new ExecAgent(lsbScript("slow", { sleep: 5 }), [], sameLimits(300), "test/res").start();
    assert.equal(r.ok, false);
    assert.match(r.detail, /timed out after \d+ms and was killed/);
  });

  it("runs without a shell: arguments are never interpreted", async () => {
    const marker = join(dir, "pwned");
    const r = await new ExecAgent(
      lsbScript("plain"),
      [`$(touch ${marker})`, "; touch " + marker],
      sameLimits(2000),
      "test/res",
    ).start();
    assert.equal(r.ok, true);
    assert.equal(existsSync(marker), false);
  });

  it("ends when the script exits, neither waiting for nor killing a background child that keeps its output open", async () => {
    const path = join(dir, "daemonizing");
    writeFileSync(path, '#!/bin/sh\nsleep 30 &\necho "started $!"\n', { mode: 0o755 });
    const r = await new ExecAgent(path, [], sameLimits(5000), "test/res").start();
    const pid = Number(/started (\d+)/.exec(r.output ?? "")?.[1]);
    try {
      assert.equal(r.ok, true, r.detail);
      assert.match(r.detail, /exit 0 in \d+ms/);
      assert.ok(pid > 0, `the script's output arrived: ${r.output}`);
      assert.doesNotThrow(() => process.kill(pid, 0), "the background child still runs");
    } finally {
      if (pid > 0) process.kill(pid, "SIGKILL");
    }
  });

  it("reports a program that cannot be started", async () => {
    const r = await new ExecAgent(join(dir, "missing"), [], sameLimits(1000), "test/res").start();
    assert.equal(r.ok, false);
    assert.match(r.detail, /could not start: ENOENT/);
  });
});

describe("ocf environment (a stand-in agent under a temporary OCF_ROOT)", () => {
  it("passes OCF_*, OCF_RESKEY_* and the operation's own OCF_RESKEY_CRM_meta_timeout, and makes HA_RSCTMP if it is missing", async () => {
    const root = join(dir, "ocf-root");
    mkdirSync(join(root, "resource.d", "test"), { recursive: true });
    writeFileSync(
      join(root, "resource.d", "test", "EnvDump"),
      `#!/bin/sh\n[ -d "$HA_RSCTMP" ] && echo "rsctmp exists"\nenv | grep -E '^(OCF_|HA_RSCTMP)' | sort\n`,
      { mode: 0o755 },
    );
    const rscTmp = join(dir, "run", "resource-agents");
    const saved = process.env.HA_RSCTMP;
    process.env.HA_RSCTMP = rscTmp;
    try {
      const r = await new OcfAgent(
        "test/EnvDump",
        "web-0",
        { ip: "10.0.0.1", cidr_netmask: 24 },
        { start: 7000, stop: 8000, monitor: 3000 },
        "test/res",
        root,
      ).start();
      assert.equal(r.ok, true, r.detail);
      for (const line of [
        "rsctmp exists",
        `HA_RSCTMP=${rscTmp}`,
        `OCF_ROOT=${root}`,
        "OCF_RESOURCE_INSTANCE=web-0",
        "OCF_RESOURCE_TYPE=EnvDump",
        "OCF_RESOURCE_PROVIDER=test",
        "OCF_RESKEY_ip=10.0.0.1",
        "OCF_RESKEY_cidr_netmask=24",
        "OCF_RESKEY_CRM_meta_timeout=7000",
      ]) {
        assert.ok(r.output?.split("\n").includes(line), `${line} in:\n${r.output}`);
      }
    } finally {
      if (saved === undefined) delete process.env.HA_RSCTMP;
      else process.env.HA_RSCTMP = saved;
    }
  });

  it("names the address an IPaddr2 resource holds, so the VIP guard covers it", () => {
    const ocf = (agent: string, params: Record<string, string | number>) =>
      virtualAddressOf({ type: "ocf", agent, params, timeouts: {} });
    assert.deepEqual(ocf("heartbeat/IPaddr2", { ip: "10.0.0.5", cidr_netmask: 24, nic: "eth0" }), [
      "10.0.0.5/24",
      "eth0",
    ]);
    assert.deepEqual(ocf("heartbeat/IPaddr2", { ip: "10.0.0.5", nic: "eth1" }), ["10.0.0.5", "eth1"]);
    assert.equal(
      ocf("heartbeat/IPaddr2", { ip: "10.0.0.5" }),
      undefined,
      "no nic: IPaddr2 picks the interface, the guard cannot know it",
    );
    assert.equal(ocf("heartbeat/Dummy", { ip: "10.0.0.5", nic: "eth0" }), undefined);
  });
});

const dummy = "/usr/lib/ocf/resource.d/heartbeat/Dummy";
describe(
  "ocf resources (the real Dummy agent)",
  { skip: existsSync(dummy) ? false : "resource-agents is not installed" },
  () => {
    it("honours OCF exit codes through start, monitor and stop, with OCF_RESKEY_* params", async () => {
      const state = join(dir, "dummy.state");
      const a = new OcfAgent("heartbeat/Dummy", "vigil-test-dummy", { state }, sameLimits(10_000), "test/res");
      assert.equal((await a.monitor()).state, "stopped", "monitor → 7 before start");
      assert.equal((await a.start()).ok, true);
      assert.ok(existsSync(state), "the agent used OCF_RESKEY_state");
      assert.equal((await a.monitor()).state, "running");
      assert.equal((await a.stop()).ok, true);
      assert.equal((await a.monitor()).state, "stopped");
    });

    it("reports a missing agent as failed", async () => {
      const r = await new OcfAgent("heartbeat/NoSuchAgent", "x", {}, sameLimits(2000), "test/res").start();
      assert.equal(r.ok, false);
      assert.match(r.detail, /could not start: ENOENT/);
    });
  },
);

describe("systemd resources (stand-in systemctl first on PATH)", () => {
  it("drives systemctl start, stop and is-active", async () => {
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(
      join(bin, "systemctl"),
      `#!/bin/sh
echo "systemctl $*" >> ${join(dir, "calls.log")}
f=${join(dir, "unit.active")}
case "$1" in start) touch "$f";; stop) rm -f "$f";; is-active) if [ -f "$f" ]; then echo active; else echo inactive; exit 3; fi;; esac
`,
      { mode: 0o755 },
    );
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      const a = new SystemdAgent("mariadb.service", sameLimits(2000), "test/res");
      assert.equal((await a.monitor()).state, "stopped");
      assert.equal((await a.start()).ok, true);
      assert.equal((await a.monitor()).state, "running");
      assert.equal((await a.stop()).ok, true);
      assert.ok(calls().includes("systemctl start mariadb.service"));
    } finally {
      process.env.PATH = oldPath;
    }
  });
});

describe("group runner", () => {
  it("starts in order, stops in reverse, and undoes a failed start", async () => {
    const events: ClusterEvent[] = [];
    const a = { agent: new ExecAgent(lsbScript("first"), [], sameLimits(2000), "test/res"), monitorEveryMs: 0 };
    const b = { agent: new ExecAgent(lsbScript("second"), [], sameLimits(2000), "test/res"), monitorEveryMs: 0 };
    const bad = {
      agent: new ExecAgent(lsbScript("broken", { failStart: true }), [], sameLimits(2000), "test/res"),
      monitorEveryMs: 0,
    };
    const runner = new GroupRunner(
      new Map([
        ["ok", [a, b]],
        ["bad", [a, bad, b]],
      ]),
      (e) => events.push(e),
      pino({ level: "silent" }),
    );
    writeFileSync(join(dir, "calls.log"), "");
    await runner.run({ kind: "start", group: "ok" });
    await runner.run({ kind: "stop", group: "ok" });
    assert.deepEqual(calls(), ["first start", "second start", "second stop", "first stop"]);
    writeFileSync(join(dir, "calls.log"), "");
    await runner.run({ kind: "start", group: "bad" });
    assert.deepEqual(
      calls(),
      ["first start", "broken start", "broken stop", "first stop"],
      "the failed start is stopped too: it may have left something behind",
    );
    assert.deepEqual(events.slice(-2), [
      { kind: "stopped", group: "bad" },
      { kind: "failed", group: "bad" },
    ]);
  });

  it("reports a monitored resource that stops behind its back", async () => {
    const events: ClusterEvent[] = [];
    const svc = lsbScript("watched");
    const runner = new GroupRunner(
      new Map([["g", [{ agent: new ExecAgent(svc, [], sameLimits(2000), "test/res"), monitorEveryMs: 50 }]]]),
      (e) => events.push(e),
      pino({ level: "silent" }),
    );
    await runner.run({ kind: "start", group: "g" });
    rmSync(join(dir, "watched.state"));
    const deadline = Date.now() + 3000;
    while (!events.some((e) => e.kind === "failed") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    runner.close();
    assert.deepEqual(events, [
      { kind: "started", group: "g" },
      { kind: "failed", group: "g" },
    ]);
  });
});

/** A notify command in vigil's own convention. */
const vigilNotify = (path: string): NotifyCommand => ({
  path,
  args: [],
  convention: "vigil",
  type: "INSTANCE",
  name: "",
  priority: 0,
});

describe("notify scripts", () => {
  it("get GROUP NODE STATE on every change, in order, once per state", async () => {
    const script = join(dir, "notify.sh");
    writeFileSync(script, `#!/bin/sh\necho "notify $*" >> ${join(dir, "calls.log")}\n`, { mode: 0o755 });
    writeFileSync(join(dir, "calls.log"), "");
    const n = new Notifier(new Map([["db", vigilNotify(script)]]), "h1", pino({ level: "silent" }));
    void n.notify("db", "backup");
    void n.notify("db", "master");
    void n.notify("db", "master");
    void n.notify("other", "fault");
    await n.notify("db", "fault");
    assert.deepEqual(calls(), ["notify db h1 backup", "notify db h1 master", "notify db h1 fault"]);
  });

  it('tell a group removed from the config "stopped": at once where it was not running, after its stop where it was', async () => {
    const script = join(dir, "notify.sh");
    writeFileSync(script, `#!/bin/sh\necho "notify $*" >> ${join(dir, "calls.log")}\n`, { mode: 0o755 });
    writeFileSync(join(dir, "calls.log"), "");
    const n = new Notifier(
      new Map([
        ["idle", vigilNotify(script)],
        ["busy", vigilNotify(script)],
      ]),
      "h1",
      pino({ level: "silent" }),
    );
    await n.notify("busy", "master");
    n.removeGroup("idle", false);
    n.removeGroup("busy", true);
    n.setScripts(new Map());
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(calls(), ["notify busy h1 master", "notify idle h1 stopped"], "busy is told only once it stops");
    await n.notify("busy", "backup");
    assert.deepEqual(calls(), ["notify busy h1 master", "notify idle h1 stopped", "notify busy h1 stopped"]);
  });

  it("in keepalived's convention get ARGS... TYPE NAME STATE PRIORITY, states in capitals", async () => {
    const script = join(dir, "notify.sh");
    writeFileSync(script, `#!/bin/sh\necho "notify $*" >> ${join(dir, "calls.log")}\n`, { mode: 0o755 });
    writeFileSync(join(dir, "calls.log"), "");
    const command: NotifyCommand = {
      path: script,
      args: ["--from-keepalived"],
      convention: "keepalived",
      type: "INSTANCE",
      name: "VI_1",
      priority: 150,
    };
    const n = new Notifier(new Map([["front", command]]), "h1", pino({ level: "silent" }));
    void n.notify("front", "backup");
    void n.notify("front", "master");
    void n.notify("front", "fault");
    await n.notify("front", "stopped");
    assert.deepEqual(calls(), [
      "notify --from-keepalived INSTANCE VI_1 BACKUP 150",
      "notify --from-keepalived INSTANCE VI_1 MASTER 150",
      "notify --from-keepalived INSTANCE VI_1 FAULT 150",
      "notify --from-keepalived INSTANCE VI_1 STOP 150",
    ]);
  });
});

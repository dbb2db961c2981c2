// The systemd unit and the daemon's side of it. There is no systemd as PID 1 here, so the unit cannot be
// started: it is checked with `systemd-analyze verify` (with the vigil path pointed at this build), and
// readiness is checked the way systemd sees it: `vigil run` with NOTIFY_SOCKET set to a unix datagram
// socket this test listens on (a small python3 listener) must say READY=1 once its API answers.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { newKeyText } from "../../src/adapters/keygen.js";
import { DRAIN_TIMEOUT_MS } from "../../src/cli/run.js";

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
const UNIT = new URL("../../packaging/vigil.service", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "vigil-systemd-"));
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const gone = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await gone;
  }
  rmSync(dir, { recursive: true, force: true });
});

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const noAnalyze = has("systemd-analyze") ? false : "systemd-analyze is not installed (apt-get install systemd)";

/** The unit's settings, key → values in order (ExecReload appears twice). */
function settings(): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of readFileSync(UNIT, "utf8").split("\n")) {
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (kv) m.set(kv[1] as string, [...(m.get(kv[1] as string) ?? []), kv[2] as string]);
  }
  return m;
}

describe("packaging/vigil.service", () => {
  it(
    "passes systemd-analyze verify without a single warning (and verify does catch a typo)",
    { skip: noAnalyze },
    () => {
      const wrapper = join(dir, "vigil");
      writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} ${MAIN} "$@"\n`, { mode: 0o755 });
      const unit = readFileSync(UNIT, "utf8").replaceAll("/usr/local/bin/vigil", wrapper);
      writeFileSync(join(dir, "vigil.service"), unit);
      const r = spawnSync("systemd-analyze", ["verify", join(dir, "vigil.service")], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(`${r.stdout}${r.stderr}`.trim(), "");
      writeFileSync(join(dir, "typo.service"), unit.replace("KillMode=mixed", "KilMode=mixed"));
      const bad = spawnSync("systemd-analyze", ["verify", join(dir, "typo.service")], { encoding: "utf8" });
      assert.match(`${bad.stdout}${bad.stderr}`, /Unknown key 'KilMode'/);
    },
  );

  it("is Type=notify, reloads with SIGHUP, restarts on failure, and never leaves a VIP without its daemon", () => {
    const s = settings();
    assert.deepEqual(s.get("Type"), ["notify"]);
    assert.deepEqual(s.get("NotifyAccess"), ["all"], "READY=1 comes from systemd-notify, a child of the daemon");
    assert.deepEqual(s.get("ExecReload"), [
      "/usr/local/bin/vigil check -c /etc/vigil/vigil.yaml",
      "/bin/kill -HUP $MAINPID",
    ]);
    assert.deepEqual(s.get("Restart"), ["on-failure"]);
    assert.deepEqual(s.get("KillMode"), ["mixed"], "SIGTERM to the daemon only, so it can drain");
    assert.deepEqual(s.get("ExecStopPost"), ["/usr/local/bin/vigil release-vips -c /etc/vigil/vigil.yaml"]);
    const stop = Number(/^(\d+)s$/.exec(s.get("TimeoutStopSec")?.[0] ?? "")?.[1]) * 1000;
    assert.ok(
      stop >= DRAIN_TIMEOUT_MS + 10_000,
      `TimeoutStopSec ${stop}ms leaves room for the ${DRAIN_TIMEOUT_MS}ms drain and the stop`,
    );
  });
});

const noNotify = !has("python3")
  ? "python3 is not installed (it plays systemd's notify socket)"
  : !has("systemd-notify")
    ? "systemd-notify is not installed (apt-get install systemd)"
    : false;

/** A unix datagram listener printing each message as one JSON line (and closing fds sent with BARRIER=1). */
const LISTENER = `
import socket, os, sys, array, json
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("listening"), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(64))
    for level, kind, cdata in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(cdata[: len(cdata) - (len(cdata) % fds.itemsize)])
            for fd in fds:
                os.close(fd)
    print(json.dumps(data.decode()), flush=True)
`;

describe("readiness (sd_notify)", { skip: noNotify }, () => {
  it("says READY=1 only once the API answers, and STOPPING=1 on SIGTERM", async () => {
    const socketPath = join(dir, "notify.sock");
    writeFileSync(join(dir, "listener.py"), LISTENER);
    const listener = spawn("python3", [join(dir, "listener.py"), socketPath], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(listener);
    const received: { msg: string; apiAnswered?: boolean }[] = [];
    const base = 10000 + Math.floor(Math.random() * 10000) * 2;
    const api = `127.0.0.1:${base + 1000}`;
    const answers = async () => {
      try {
        return (await fetch(`http://${api}/status`, { signal: AbortSignal.timeout(500) })).ok;
      } catch {
        return false;
      }
    };
    let buffered = "";
    listener.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const entry: { msg: string; apiAnswered?: boolean } = { msg: JSON.parse(line) as string };
        received.push(entry);
        if (entry.msg.includes("READY=1")) void answers().then((ok) => (entry.apiAnswered = ok));
      }
    });
    const waitFor = async (what: string, pred: () => boolean) => {
      for (let i = 0; i < 1000 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(pred(), `timed out waiting for ${what}; got ${JSON.stringify(received)}`);
    };
    await waitFor("the listener", () => received.some((r) => r.msg === "listening"));

    writeFileSync(join(dir, "cluster.key"), newKeyText(), { mode: 0o600 });
    writeFileSync(
      join(dir, "vigil.yaml"),
      `cluster:\n  name: sd\n  key_file: ${join(dir, "cluster.key")}\nnodes:\n  - { name: n1, address: "127.0.0.1:${base}" }\ngroups:\n  - name: db\n    resources:\n      - { type: exec, path: /bin/true }\n`,
    );
    let log = "";
    const vigil = spawn(process.execPath, [MAIN, "run", "-c", join(dir, "vigil.yaml"), "--api", api], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, NOTIFY_SOCKET: socketPath },
    });
    children.push(vigil);
    vigil.stderr?.on("data", (c: Buffer) => (log += c.toString()));

    await waitFor("READY=1", () => received.some((r) => r.msg.includes("READY=1") && r.apiAnswered !== undefined));
    const ready = received.find((r) => r.msg.includes("READY=1"));
    assert.equal(ready?.apiAnswered, true, "the API answered when READY=1 arrived");
    assert.match(ready?.msg ?? "", /^READY=1\nSTATUS=running as n1$/);
    assert.ok(log.includes("vigil n1 running in cluster sd"), "READY=1 came after the daemon said it runs");

    const exited = new Promise((r) => vigil.once("exit", r));
    vigil.kill("SIGTERM");
    await waitFor("STOPPING=1", () => received.some((r) => r.msg.startsWith("STOPPING=1")));
    await exited;
    assert.doesNotMatch(log, /could not notify systemd/);
  });
});

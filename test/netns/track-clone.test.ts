// Track checks and clones on namespace hosts, the seed 004 setup: a small TCP service runs as a clone on
// every host and the VIP group (`web`) tracks it, a second link (eth1) and a ping target (the gateway).
// Killing the service on the owner, pulling the owner's second link and losing its ping target each move
// the VIP to the next host, with a client probing the VIP every 5ms and never answered by two hosts at
// once; after each, recovery fails the VIP back. Skipped, loudly, where namespaces cannot be made.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { netnsUnavailable } from "../helpers/netns.js";
import { NetnsCluster, type ProbeReport } from "../helpers/netns-cluster.js";

const why = netnsUnavailable();
if (why) process.stderr.write(`\n!!! SKIPPING network namespace tests: ${why}\n\n`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RESPONDER = new URL("./responder.mjs", import.meta.url).pathname;

/** Monitor interval of the clone's service, ms. */
const MONITOR_MS = 300;
/** The ping check's interval and fall. */
const PING_MS = 200;
const PING_FALL = 3;
/** The interface check's interval (fall 1). */
const LINK_MS = 100;
/** What the client may wait beyond detection for the VIP to answer from the new owner (a failover:
 * the old owner stops, the lock moves, the new owner adds the VIP), ms. Generous for a loaded machine. */
const FAILOVER_MS = 1500;

/** An LSB script running responder.mjs on port 8080 in the caller's namespace, answering with the
 * host's name (the namespace name after its last '-'); its pid files live in `dir`. */
function serviceScript(dir: string): string {
  const path = join(dir, "tcp-service.sh");
  writeFileSync(
    path,
    [
      "#!/bin/sh",
      `ns=$(ip netns identify $$); pidf="${dir}/$ns.pid"`,
      `alive() { [ -f "$pidf" ] && p=$(cat "$pidf") && [ -r "/proc/$p/stat" ] && [ "$(cut -d' ' -f3 "/proc/$p/stat")" != Z ]; }`,
      'case "$1" in',
      "  start) alive && exit 0",
      `    rm -f "$pidf.out"; nohup ${process.execPath} ${RESPONDER} "\${ns##*-}" 8080 >"$pidf.out" 2>&1 & echo $! > "$pidf"`,
      '    i=0; while [ $i -lt 250 ] && ! grep -q ready "$pidf.out"; do sleep 0.02; i=$((i+1)); done ;;',
      '  stop) alive && kill -TERM "$p"; while alive; do sleep 0.02; done; rm -f "$pidf" ;;',
      "  status) alive || exit 3 ;;",
      "esac",
      "",
    ].join("\n"),
  );
  chmodSync(path, 0o755);
  return path;
}

describe("track checks and clones on namespace hosts", { skip: why }, () => {
  let c: NetnsCluster;
  const dir = mkdtempSync(join(tmpdir(), "vigil-track-"));
  let gateway = "";
  const firstAnswerFrom = (r: ProbeReport, host: string) => r.answers.find((a) => a.host === host)?.at;
  /** Everything every vigil logged (the leader, whichever it is, logs placement decisions). */
  const allLogs = () => c.hosts.map((h) => c.fullLog(h)).join("\n");

  before(async () => {
    const script = serviceScript(dir);
    // The VIP group (NetnsCluster names it web): prefers h1, fails back, tracks the clone, eth1 and the gateway (added below).
    c = new NetnsCluster(
      "tr",
      [
        "    failback: true",
        "    track:",
        "      - { type: group, name: svc }",
        `      - { type: interface, name: eth1, interval: ${LINK_MS}ms }`,
        `      - { type: ping, address: GATEWAY, interval: ${PING_MS}ms, timeout: ${PING_MS}ms, fall: ${PING_FALL}, rise: 2 }`,
        "",
      ].join("\n"),
      // A second group after the VIP's: the clone (see NetnsCluster: resourcesYaml is the file's tail).
      [
        "  - name: svc",
        "    clone: true",
        "    migration_threshold: 1",
        `    resources: [{ type: exec, path: ${script}, monitor: { interval: ${MONITOR_MS}ms, timeout: 2s }, timeouts: { stop: 2s } }]`,
        "",
      ].join("\n"),
      // Slower heartbeats than the default: these moves are planned (the old owner stops first), so the
      // lease does not bound them, and a longer lease (watchdog 4.8s) keeps a loaded CI machine from
      // tripping a node's fail-stop during start-up.
      { clusterYaml: "  heartbeat: { interval: 200ms, lease: 1200ms }\n" },
    );
    gateway = c.lab.addHost("gw", 1);
    const config = join(c.dir, "vigil.yaml");
    execFileSync("sed", ["-i", `s/GATEWAY/${gateway}/`, config]);
    // The second link: a veth from each host's eth1 to a second bridge in the switch namespace.
    const sw = c.lab.ns("sw");
    execFileSync("ip", ["-n", sw, "link", "add", "br1", "type", "bridge"]);
    execFileSync("ip", ["-n", sw, "link", "set", "br1", "up"]);
    for (const h of c.hosts) {
      execFileSync("ip", [
        "-n",
        sw,
        "link",
        "add",
        `up-${h}`,
        "type",
        "veth",
        "peer",
        "name",
        "eth1",
        "netns",
        c.lab.ns(h),
      ]);
      execFileSync("ip", ["-n", sw, "link", "set", `up-${h}`, "master", "br1", "up"]);
      execFileSync("ip", ["-n", c.lab.ns(h), "link", "set", "eth1", "up"]);
    }
    // vigil only: the clone is the service (NetnsCluster.start would start responders of its own).
    // One after another: three daemons and their services starting at once load a busy CI machine most.
    for (const h of c.hosts) {
      c.startVigil(h);
      await sleep(1500);
    }
  });
  after(async () => {
    await c?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until the VIP is on `host` and the client gets answers from it. */
  async function settledOn(host: string): Promise<void> {
    await c.waitForOwner(host, 30_000);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const r = await c.probe(150, 0, () => undefined);
      if (
        r.answers.filter((a) => a.host !== "-").every((a) => a.host === host) &&
        r.answers.some((a) => a.host === host)
      )
        return;
      await sleep(100);
    }
    throw new Error(`the client does not get answers from ${host}\n${c.tail()}`);
  }

  /** Probes while `act` runs at 300ms, until the VIP answers from `to`; checks the move and no double
   * answers; returns ms from the action to the first answer from `to`. */
  async function moves(to: string, act: () => void, budgetMs: number, what: string): Promise<number> {
    const r = await c.probe(300 + budgetMs + 1000, 300, act);
    const first = firstAnswerFrom(r, to);
    const summary = JSON.stringify(
      r.answers.filter((a, i) => i === 0 || a.host !== r.answers[i - 1]?.host).slice(0, 12),
    );
    assert.equal(r.doubleAnswers, 0, `${what}: answers from two hosts at once ${summary}`);
    assert.ok(first !== undefined, `${what}: no answer from ${to} ${summary}\n${c.tail()}`);
    const took = first - 300;
    assert.ok(took < budgetMs, `${what}: ${to} answered ${Math.round(took)}ms after, budget ${budgetMs}ms ${summary}`);
    assert.equal(r.answers.filter((a) => a.host !== "-").at(-1)?.host, to, `${what}: ${to} answers last`);
    process.stdout.write(
      `# ${what}: ${to} answered ${Math.round(took)}ms after the fault, longest gap ${Math.round(r.longestGap)}ms\n`,
    );
    return took;
  }

  /** Probes across a failback to `to` (waited for, not timed) and checks there were no double answers. */
  async function failsBack(to: string, recover: () => void, what: string): Promise<void> {
    let out: ProbeReport | undefined;
    for (let i = 0; i < 3 && out === undefined; i++) {
      const r = await c.probe(4500, 100, i === 0 ? recover : () => undefined);
      assert.equal(r.doubleAnswers, 0, `${what}: answers from two hosts at once`);
      if (r.answers.filter((a) => a.host !== "-").at(-1)?.host === to) out = r;
    }
    assert.ok(out, `${what}: the VIP did not come back to ${to}\n${c.tail()}`);
    assert.deepEqual(c.vipHolders(), [to]);
  }

  it("runs the clone on every host and the VIP on the preferred host", async () => {
    await settledOn("h1");
    const deadline = Date.now() + 15_000;
    let s = c.status("h1") as unknown as {
      peers: { name: string; running: string[] }[];
      groups: Record<string, string>;
    };
    while (Date.now() < deadline && !(s?.groups.svc === "running" && s.peers.every((p) => p.running.includes("svc")))) {
      await sleep(100);
      s = c.status("h1") as unknown as typeof s;
    }
    assert.equal(s?.groups.svc, "running", "the clone runs on h1");
    assert.deepEqual(
      s?.peers.map((p) => [p.name, p.running.includes("svc")]),
      [
        ["h2", true],
        ["h3", true],
      ],
      "and on h2 and h3, at once",
    );
  });

  it("moves the VIP when the service dies on its owner, and fails back after a cleanup", async () => {
    const pid = execFileSync("cat", [join(dir, `${c.lab.ns("h1")}.pid`)], { encoding: "utf8" }).trim();
    await moves("h2", () => process.kill(Number(pid), "SIGKILL"), MONITOR_MS + FAILOVER_MS, "service killed on h1");
    assert.match(allLogs(), /web moves h1→h2: h1 fails track group svc \(the clone is not running there\)/);
    await failsBack("h1", () => assert.equal(c.command("h2", "/groups/svc/cleanup"), 200), "cleanup of svc");
    assert.match(allLogs(), /web fails back h2→h1: h1 is preferred and has passed its track checks for \d+ms/);
  });

  it("moves the VIP when the owner's second link goes down, and back when it returns", async () => {
    const sw = c.lab.ns("sw");
    await moves(
      "h2",
      () => execFileSync("ip", ["-n", sw, "link", "set", "up-h1", "down"]),
      LINK_MS + FAILOVER_MS,
      "eth1 down on h1",
    );
    assert.match(allLogs(), /web moves h1→h2: h1 fails track interface eth1 \(1 check\)/);
    await failsBack("h1", () => execFileSync("ip", ["-n", sw, "link", "set", "up-h1", "up"]), "eth1 back on h1");
  });

  it("moves the VIP when the owner loses its ping target, and back when it answers again", async () => {
    await moves(
      "h2",
      () => c.lab.block("h1", [gateway]),
      PING_MS * PING_FALL + PING_MS + FAILOVER_MS,
      "gateway lost on h1",
    );
    assert.match(
      allLogs(),
      new RegExp(`web moves h1→h2: h1 fails track ping ${gateway.replaceAll(".", "\\.")} \\(3 checks in a row\\)`),
    );
    await failsBack("h1", () => c.lab.unblock("h1"), "gateway back on h1");
    const text = allLogs();
    assert.equal(text.match(/web moves h1→h2: h1 fails track ping/g)?.length, 1, "the move is logged once");
  });
});

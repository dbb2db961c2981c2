// Virtual servers in the kernel (forward: nat | fullnat) between namespace hosts: three directors run
// vigil, the owner of group `web` DNATs new flows to real servers on another subnet with nftables. One
// cluster for the whole file; each scenario reloads the virtual servers it needs. Skipped, loudly,
// where namespaces cannot be made.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { KernelLab, until } from "../helpers/kernel-lab.js";
import { netnsUnavailable } from "../helpers/netns.js";

const missing = ["nft", "conntrack", "curl"].find((t) => spawnSync(t, ["--version"]).error !== undefined);
const why =
  netnsUnavailable() ?? (missing ? `${missing} is not installed (scripts/packages.sh installs it)` : undefined);
if (why) process.stderr.write(`\n!!! SKIPPING kernel forwarding namespace tests: ${why}\n\n`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NETNS = new URL("./", import.meta.url).pathname;

/** A virtual server on VIP:80 over r1 and r2 (health on port 81, fast rise/fall). */
const web = (extra: string, servers = "      - { address: 10.78.S.21:80 }\n      - { address: 10.78.S.22:80 }\n") =>
  `  - name: web
    listen: VIP:80
    forward: nat
${extra}    real_servers:
${servers}    check: { type: tcp, port: 81, interval: 200ms, timeout: 150ms, rise: 1, fall: 1 }
`;

describe("kernel forwarding (nftables) between namespace hosts", { skip: why }, () => {
  let k: KernelLab;
  /** The director that runs group web (h1 unless the loaded machine starved it at start-up). */
  let owner = "h1";
  const tally = KernelLab.tally;

  /** A client connection kept open; lines written to its stdin are sent (killed at the test's end). */
  const holder = () => {
    const p = spawn(
      "ip",
      ["netns", "exec", k.c.lab.ns("client"), process.execPath, join(NETNS, "kernel-client.mjs"), "hold", k.vip, "80"],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    holders.push(p);
    return p;
  };
  const holders: ChildProcess[] = [];
  afterEach(() => {
    for (const p of holders.splice(0)) p.kill("SIGKILL");
  });

  before(async () => {
    k = new KernelLab("k", { stale: true });
    await k.start(web("    scheduler: rr\n"));
    owner = await k.c.waitForOwner(undefined, 45_000);
    await until("the owner forwards web", () => k.status(owner)?.virtual_servers?.[0]?.serving === true);
  });
  after(async () => {
    if (process.env.KERNEL_TEST_LOGS)
      for (const h of k?.c.hosts ?? []) writeFileSync(`${process.env.KERNEL_TEST_LOGS}-${h}.log`, k.c.fullLog(h));
    await k?.destroy();
  });

  it("removes stale vigil tables at start-up and leaves other tables alone", () => {
    for (const h of k.c.hosts) {
      const t = k.tables(h);
      assert.doesNotMatch(t, /vigil_old/, `${h}: ${t}`);
      assert.match(t, /someone_else/, `${h}: ${t}`);
    }
    for (const h of k.c.hosts)
      if (h === owner) assert.match(k.tables(h), /table ip vigil_web/);
      else assert.doesNotMatch(k.tables(h), /vigil_web/, `only the owner forwards (${h} does not)`);
  });

  it("rr alternates, nat keeps the client's address, and status and /metrics count flows and bytes per real server", async () => {
    const r = k.client("conns", k.vip, "80", "20").results;
    assert.deepEqual(tally(r), { r1: 10, r2: 10 });
    assert.deepEqual([...new Set(r.map((x) => x.seen))], [k.clientAddr()], "the real servers saw the client");
    await until("status counts the flows", () => {
      const vs = k.status(owner)?.virtual_servers?.[0];
      return vs?.realServers.every((rs) => rs.total === 10 && (rs.bytesOut ?? 0) > 0) === true;
    });
    assert.match(
      k.metrics(owner),
      /vigil_real_server_bytes_total\{vs="web",real_server="10\.78\.\d+\.21:80",direction="out"[^}]*\} [1-9]/,
    );
  });

  it("puts its table back when someone deletes it from the owner's kernel, and keeps serving", async () => {
    k.c.lab.exec(owner, "nft", "delete", "table", "ip", "vigil_web");
    assert.doesNotMatch(k.tables(owner), /vigil_web/, "deleted");
    await until("the table back", () => /table ip vigil_web/.test(k.tables(owner)), 10_000);
    assert.match(k.c.fullLog(owner), /its nftables table vigil_web is gone from the kernel; installing it again/);
    assert.deepEqual(tally(k.client("conns", k.vip, "80", "4").results), { r1: 2, r2: 2 });
    assert.equal(k.status(owner)?.groups?.web, "running", "the group still runs there");
  });

  it("wrr follows the weights (3:1)", async () => {
    await k.reload(
      web(
        "    scheduler: wrr\n",
        "      - { address: 10.78.S.21:80, weight: 3 }\n      - { address: 10.78.S.22:80, weight: 1 }\n",
      ),
    );
    assert.deepEqual(tally(k.client("conns", k.vip, "80", "20").results), { r1: 15, r2: 5 });
  });

  it("sh sends each client address to one real server, and spreads addresses over both", async () => {
    const srcs = k.addClientAddresses(16);
    await k.reload(web("    scheduler: sh\n"));
    const r = k.client("conns", k.vip, "80", "48", ...srcs).results;
    const bySrc = new Map<string, Set<string>>();
    for (const x of r) bySrc.set(x.src ?? "", (bySrc.get(x.src ?? "") ?? new Set()).add(x.server ?? "error"));
    for (const [src, servers] of bySrc) assert.equal(servers.size, 1, `${src} went to ${[...servers].join(", ")}`);
    assert.deepEqual(Object.keys(tally(r)).sort(), ["r1", "r2"]);
  });

  it("a failing real server gets no new flows and takes them again when it recovers; quiescent false deletes its flows", async () => {
    await k.reload(web("    scheduler: rr\n    quiescent: false\n"));
    const hold = holder();
    let lines = "";
    hold.stdout?.on("data", (d: Buffer) => (lines += d.toString()));
    await until("the held connection answered", () => lines.includes('"line"'));
    const heldBy = /"line":"(r\d) /.exec(lines)?.[1] ?? "";
    k.signalBackend(heldBy, "SIGUSR1");
    await until(
      `${heldBy} is down`,
      () => k.status(owner)?.virtual_servers?.[0]?.realServers.some((rs) => !rs.up) === true,
    );
    assert.deepEqual(Object.keys(tally(k.client("conns", k.vip, "80", "6").results)), [heldBy === "r1" ? "r2" : "r1"]);
    hold.stdin?.write("ping\n");
    await until("the held connection ended", () => lines.includes("error") || lines.includes("closed"), 10_000);
    k.signalBackend(heldBy, "SIGUSR2");
    await until(
      `${heldBy} is up`,
      () => k.status(owner)?.virtual_servers?.[0]?.realServers.every((rs) => rs.up) === true,
    );
    assert.deepEqual(Object.keys(tally(k.client("conns", k.vip, "80", "6").results)).sort(), ["r1", "r2"]);
  });

  it("quiescent true keeps a failed server's open flows", async () => {
    await k.reload(web("    scheduler: rr\n    quiescent: true\n"));
    const hold = holder();
    let lines = "";
    hold.stdout?.on("data", (d: Buffer) => (lines += d.toString()));
    await until("the held connection answered", () => lines.includes('"line"'));
    const heldBy = /"line":"(r\d) /.exec(lines)?.[1] ?? "";
    k.signalBackend(heldBy, "SIGUSR1");
    await until(
      `${heldBy} is down`,
      () => k.status(owner)?.virtual_servers?.[0]?.realServers.some((rs) => !rs.up) === true,
    );
    hold.stdin?.write("ping\n");
    await until("the held connection still answers", () => lines.includes(`${heldBy} pong`), 5_000);
    hold.stdin?.end();
    k.signalBackend(heldBy, "SIGUSR2");
    await until(
      `${heldBy} is up`,
      () => k.status(owner)?.virtual_servers?.[0]?.realServers.every((rs) => rs.up) === true,
    );
  });

  it("the sorry server takes new flows while no real server is up", async () => {
    await k.reload(web("    scheduler: rr\n    sorry_server: 10.78.S.30:80\n"));
    k.signalBackend("r1", "SIGUSR1");
    k.signalBackend("r2", "SIGUSR1");
    await until("sorry in use", () => k.status(owner)?.virtual_servers?.[0]?.sorry?.inUse === true);
    assert.deepEqual(tally(k.client("conns", k.vip, "80", "4").results), { sorry: 4 });
    k.signalBackend("r1", "SIGUSR2");
    k.signalBackend("r2", "SIGUSR2");
    await until("sorry unused", () => k.status(owner)?.virtual_servers?.[0]?.sorry?.inUse === false);
    assert.deepEqual(Object.keys(tally(k.client("conns", k.vip, "80", "4").results)).sort(), ["r1", "r2"]);
  });

  it("persistence keeps a client on its server until the timeout after its last new flow", async () => {
    await k.reload(web("    scheduler: rr\n    persistence: 2s\n"));
    const first = tally(k.client("conns", k.vip, "80", "4").results);
    assert.equal(Object.keys(first).length, 1, `one server for one client: ${JSON.stringify(first)}`);
    await sleep(3000);
    const later = tally(k.client("conns", k.vip, "80", "1").results);
    assert.notDeepEqual(Object.keys(later), Object.keys(first), "after the timeout rr picks the next server");
  });

  it("UDP is balanced in the kernel too", async () => {
    await k.reload(
      web("    scheduler: rr\n") +
        `  - name: dns
    listen: VIP:53
    forward: nat
    protocol: udp
    scheduler: rr
    real_servers:
      - { address: 10.78.S.21:80 }
      - { address: 10.78.S.22:80 }
    check: { type: tcp, port: 81, interval: 200ms, timeout: 150ms, rise: 1, fall: 1 }
`,
    );
    await until(
      "dns forwarded",
      () => k.status(owner)?.virtual_servers?.find((v) => v.name === "dns")?.serving === true,
    );
    const r = k.client("udp", k.vip, "53", "10").results;
    assert.deepEqual(tally(r), { r1: 5, r2: 5 });
    assert.deepEqual([...new Set(r.map((x) => x.seen))], [k.clientAddr()]);
  });

  it("fullnat reaches a real server on a subnet with no route back to clients (it sees the director)", async () => {
    await k.reload(
      web("    scheduler: rr\n") +
        `  - name: far
    listen: VIP:8090
    forward: fullnat
    scheduler: rr
    real_servers:
      - { address: 10.79.S.23:80 }
    check: { type: tcp, port: 81, interval: 200ms, timeout: 150ms, rise: 1, fall: 1 }
`,
    );
    await until(
      "far forwarded",
      () => k.status(owner)?.virtual_servers?.find((v) => v.name === "far")?.serving === true,
    );
    const r = k.client("conns", k.vip, "8090", "3").results;
    assert.deepEqual(tally(r), { r3: 3 });
    assert.deepEqual(
      [...new Set(r.map((x) => x.seen))],
      [`10.79.${k.s}.${11 + k.c.hosts.indexOf(owner)}`],
      "r3 saw the owner's address on its subnet",
    );
  });

  it("a reload adding and removing real servers under load fails no connection; a removed server drains", async () => {
    await k.reload(web("    scheduler: rr\n", "      - { address: 10.78.S.21:80 }\n"));
    // Runs until its stdin closes, then prints what it saw.
    const load = spawn(
      "ip",
      [
        "netns",
        "exec",
        k.c.lab.ns("client"),
        process.execPath,
        join(NETNS, "kernel-client.mjs"),
        "load",
        k.vip,
        "80",
        "0",
        "4",
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    holders.push(load);
    let out = "";
    load.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    const done = new Promise((r) => load.once("exit", r));
    await until("load runs", () => out.includes("running"));
    await k.reload(web("    scheduler: rr\n"));
    await sleep(1000);
    await k.reload(web("    scheduler: rr\n", "      - { address: 10.78.S.22:80 }\n"));
    await sleep(1000);
    load.stdin?.end();
    await done;
    const res = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as {
      ok: number;
      errors: string[];
      servers: Record<string, number>;
    };
    assert.deepEqual(res.errors, [], `failed connections: ${res.errors.length} of ${res.ok + res.errors.length}`);
    assert.ok(res.ok > 50 && (res.servers.r2 ?? 0) > 0 && (res.servers.r1 ?? 0) > 0, JSON.stringify(res));
    await until("r1 drained and removed", () => {
      const rs = k.status(owner)?.virtual_servers?.[0]?.realServers ?? [];
      return rs.length === 1 && rs[0]?.address.endsWith(".22:80") === true;
    });
  });

  it("a long download continues after the owner is SIGKILLed (sh; the new owner continues the flow)", async () => {
    await k.reload(web("    scheduler: sh\n"));
    const total = 32 * 1024 * 1024;
    const dl = k.c.lab.start("client", process.execPath, [
      join(NETNS, "kernel-client.mjs"),
      "download",
      k.vip,
      "80",
      String(total),
      String(3 * 1024 * 1024),
    ]);
    let out = "";
    dl.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    const done = new Promise((r) => dl.once("exit", r));
    await until("download started", () => out.includes("started"));
    await sleep(1000);
    await k.killVigil(owner);
    let next = "";
    await until(
      "another director holds the VIP",
      () => {
        const holders = k.c.vipHolders();
        next = holders.length === 1 && holders[0] !== owner ? (holders[0] as string) : "";
        return next !== "";
      },
      30_000,
    );
    assert.doesNotMatch(out, /"done"/, "the download was still running when the VIP moved");
    await done;
    const res = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { got: number; bad: number; error?: string };
    assert.deepEqual(
      { got: res.got, bad: res.bad, error: res.error },
      { got: total, bad: -1, error: undefined },
      `${out}\n${k.c.tail(20)}`,
    );
    assert.match(k.tables(next), /vigil_web/);
    // The flow went through the new owner: its conntrack table has it (entered from either side).
    const tracked = k.c.lab.exec(next, "conntrack", "-L", "-p", "tcp").out;
    assert.match(tracked, new RegExp(`(src|dst)=${k.clientAddr().replaceAll(".", "\\.")} `), tracked);
  });
});

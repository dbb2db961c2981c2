// Heartbeats during a UDP flood at one node's cluster port, on loopback with real `vigil run` processes
// (3 nodes, default timers 25ms/150ms). Each phase runs `--seconds` (default 30, one gap window of the
// daemon's heartbeat-gap statistics at 25ms), then reads the gaps of heartbeats n1 received from n2
// and n3, and those n2 received from n1, plus how many packets n1 dropped (the rate it sustained) and
// n1's CPU. Phases:
//   idle       no flood
//   garbage    random bytes from an address that is no node's (dropped at the address check)
//   blind      source spoofed as n2's address, right magic/version/cluster name, wrong key id
//              (what an attacker who cannot see cluster traffic can send: dropped before the HMAC)
//   spoofed    source spoofed as n2, right key id (seen on the wire), random MAC (an on-path attacker:
//              the per-source budget lets 16 per interval reach the HMAC, the rest is rate-limited)
// Spoofing uses a raw socket (python3, needs root); loopback only. Flood rate: as fast as one process
// can send. Usage: npx tsx bench/heartbeat-flood.ts [--seconds 30] [--phases idle,garbage,blind,spoofed]
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { keyId } from "../src/adapters/key-ring.js";
import { LocalCluster, type NodeStatus } from "../test/helpers/local-cluster.js";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}

const seconds = Number(arg("seconds", "30"));
const phases = arg("phases", "idle,garbage,blind,spoofed").split(",");

/** Sends UDP from `src` to `dst` for `secs` seconds as fast as it can; prints the count sent. */
const FLOODER = `
import socket, struct, sys, time, os
src_port, dst_port, secs, mode, key_id = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
name = b"test"
def packet():
    if mode == "garbage":
        return os.urandom(200)
    kid = key_id if mode == "spoofed" else (key_id ^ 0x5a5a5a5a)
    payload = b"VGL2" + bytes([0]) + struct.pack(">I", kid) + bytes([len(name)]) + name + os.urandom(32) + b'{"type":"hb"}' + b" " * 300
    udp_len = 8 + len(payload)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0, 64, 17, 0, socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
    return ip + struct.pack(">HHHH", src_port, dst_port, udp_len, 0) + payload
pkts = [packet() for _ in range(64)]
if mode == "garbage":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    send = lambda p: s.sendto(p, ("127.0.0.1", dst_port))
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    send = lambda p: s.sendto(p, ("127.0.0.1", 0))
n = 0
end = time.time() + secs
while time.time() < end:
    for p in pkts:
        try:
            send(p); n += 1
        except OSError:
            pass
print(n)
`;

function flood(srcPort: number, dstPort: number, secs: number, mode: string, kid: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", ["-c", FLOODER, String(srcPort), String(dstPort), String(secs), mode, String(kid)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`flooder exit ${code}`))));
  });
}

/** CPU seconds (user + system) of a process so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const portOf = (address: string) => Number(address.split(":")[1]);
const sumDrops = (s: NodeStatus | undefined) => Object.values(s?.transportDrops ?? {}).reduce((a, b) => a + b, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node's status, retried: a loaded node may miss the helper's 500ms answer deadline. */
async function statusOf(c: LocalCluster, name: string): Promise<NodeStatus | undefined> {
  for (let i = 0; i < 10; i++) {
    const s = await c.status(name);
    if (s) return s;
    await sleep(100);
  }
  return undefined;
}

async function main(): Promise<void> {
  const c = await LocalCluster.start();
  try {
    await c.waitFor("a leader", async () => ((await c.statuses()).some((s) => s.isLeader) ? true : undefined));
    await sleep(2000);
    const kid = keyId(Buffer.from(readFileSync(join(c.dir, "cluster.key"), "utf8").trim(), "utf8"));
    const n1 = portOf(c.nodeAddress("n1"));
    const n2 = portOf(c.nodeAddress("n2"));
    console.log(`3 nodes on loopback, heartbeat 25ms / lease 150ms, flood at n1 (port ${n1}), ${seconds}s per phase`);
    console.log(
      "phase     sent/s   n1 dropped/s  n1 CPU  gaps at n1 from n2 (p50/p99/max ms)  from n3            at n2 from n1       leader changes",
    );
    for (const phase of phases) {
      const before1 = await statusOf(c, "n1");
      const cpu0 = cpuSeconds(c.pid("n1"));
      const t0 = performance.now();
      const sent = phase === "idle" ? (await sleep(seconds * 1000), 0) : await flood(n2, n1, seconds, phase, kid);
      const secs = (performance.now() - t0) / 1000;
      const cpu = (cpuSeconds(c.pid("n1")) - cpu0) / secs;
      const [s1, s2] = [await statusOf(c, "n1"), await statusOf(c, "n2")];
      const g = (s: NodeStatus | undefined, key: string) => {
        const x = (s as unknown as { heartbeatGaps?: Record<string, { p50: number; p99: number; max: number }> })
          ?.heartbeatGaps?.[key];
        return x ? `${x.p50}/${x.p99}/${x.max}`.padEnd(20) : "-".padEnd(20);
      };
      const dropped = (sumDrops(s1) - sumDrops(before1)) / secs;
      const terms = `${before1?.term}→${s1?.term}`;
      console.log(
        `${phase.padEnd(9)} ${String(Math.round(sent / secs)).padStart(7)} ${String(Math.round(dropped)).padStart(13)}  ${(cpu * 100).toFixed(0).padStart(4)}%  ${g(s1, "n2/0")}                ${g(s1, "n3/0")}${g(s2, "n1/0")}term ${terms}`,
      );
      console.log(`          n1 drops: ${JSON.stringify(s1?.transportDrops)}`);
    }
  } finally {
    await c.stop();
  }
}

await main();

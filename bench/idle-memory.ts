// Idle memory of a single-node vigil daemon (a group, a proxied virtual server, the API), started with
// Node's defaults and with the V8 flags packaging/vigil.service sets (NODE_OPTIONS): a 1 MiB young
// generation semi-space (V8's default grows to 16 MiB per isolate: the main thread and the cluster
// worker) and one V8 platform thread instead of four. Reads /proc/PID/status of the daemon and of its
// command helper process (which spawns its commands; it runs with those flags always) after --seconds.
// Usage: npx tsx bench/idle-memory.ts [--seconds 20]   (after npm run build)
// Last line: idle-memory: default rss= anon= helper_rss= helper_anon= flags rss= anon= helper_rss= helper_anon= (MiB)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newKeyText } from "../src/adapters/keygen.js";

const i = process.argv.indexOf("--seconds");
const seconds = i >= 0 ? Number(process.argv[i + 1]) : 20;
const MAIN = new URL("../dist/cli/main.js", import.meta.url).pathname;
export const FLAGS = "--max-semi-space-size=1 --v8-pool-size=1";

const dir = mkdtempSync(join(tmpdir(), "vigil-bench-mem-"));
writeFileSync(join(dir, "key"), newKeyText(), { mode: 0o600 });
const port = 20000 + Math.floor(Math.random() * 20000);
writeFileSync(
  join(dir, "vigil.yaml"),
  `cluster:\n  name: m\n  key_file: ${join(dir, "key")}\n  port: ${port}\nnodes:\n  - { name: a, address: 127.0.0.1 }\napi:\n  listen: 127.0.0.1:${port + 1}\ngroups:\n  - name: g\n    resources:\n      - { type: exec, path: /bin/true }\nvirtual_servers:\n  - name: s\n    listen: 127.0.0.1:${port + 2}\n    group: g\n    real_servers:\n      - { address: "127.0.0.1:${port + 3}" }\n`,
);

interface Mem {
  rss: number;
  anon: number;
  threads: number;
}

function memOf(pid: number): Mem {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rss: kib("VmRSS") / 1024, anon: kib("RssAnon") / 1024, threads: kib("Threads") };
}

/** The daemon's command helper process (its child running command-helper-process). */
function helperOf(pid: number): number {
  for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/)) {
    try {
      if (readFileSync(`/proc/${child}/cmdline`, "utf8").includes("command-helper-process")) return Number(child);
    } catch {
      /* exited meanwhile */
    }
  }
  throw new Error(`daemon ${pid} has no command helper`);
}

async function measure(nodeOptions: string): Promise<{ daemon: Mem; helper: Mem }> {
  const child = spawn(process.execPath, [MAIN, "run", "-c", join(dir, "vigil.yaml")], {
    stdio: "ignore",
    env: { ...process.env, NODE_OPTIONS: nodeOptions, VIGIL_RUNTIME_DIR: join(dir, "run") },
  });
  const gone = new Promise((r) => child.once("exit", r));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  if (child.exitCode !== null || child.pid === undefined) throw new Error(`vigil exited (${child.exitCode})`);
  const res = { daemon: memOf(child.pid), helper: memOf(helperOf(child.pid)) };
  child.kill("SIGTERM");
  await gone;
  return res;
}

try {
  const plain = await measure("");
  const tuned = await measure(FLAGS);
  const f = (m: Mem) => `RSS ${m.rss.toFixed(1)} MiB, private ${m.anon.toFixed(1)} MiB, ${m.threads} threads`;
  const both = (r: { daemon: Mem; helper: Mem }) => `daemon ${f(r.daemon)}; command helper ${f(r.helper)}`;
  console.log(`defaults:        ${both(plain)}`);
  console.log(`NODE_OPTIONS="${FLAGS}": ${both(tuned)}`);
  const line = (r: { daemon: Mem; helper: Mem }) =>
    `rss=${r.daemon.rss.toFixed(1)} anon=${r.daemon.anon.toFixed(1)} helper_rss=${r.helper.rss.toFixed(1)} helper_anon=${r.helper.anon.toFixed(1)}`;
  console.log(`idle-memory: default ${line(plain)} flags ${line(tuned)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

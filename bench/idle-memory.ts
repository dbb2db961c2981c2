// Idle memory of a single-node vigil daemon (a group, a proxied virtual server, the API), started with
// Node's defaults and with the V8 flags packaging/vigil.service sets (NODE_OPTIONS): a 1 MiB young
// generation semi-space (V8's default grows to 16 MiB per isolate: the main thread and the cluster
// worker) and one V8 platform thread instead of four. Reads /proc/PID/status after --seconds.
// Usage: npx tsx bench/idle-memory.ts [--seconds 20]   (after npm run build)
// Last line: idle-memory: default rss=MiB anon=MiB flags rss=MiB anon=MiB
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

async function measure(nodeOptions: string): Promise<{ rss: number; anon: number; threads: number }> {
  const child = spawn(process.execPath, [MAIN, "run", "-c", join(dir, "vigil.yaml")], {
    stdio: "ignore",
    env: { ...process.env, NODE_OPTIONS: nodeOptions, VIGIL_RUNTIME_DIR: join(dir, "run") },
  });
  const gone = new Promise((r) => child.once("exit", r));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  if (child.exitCode !== null || child.pid === undefined) throw new Error(`vigil exited (${child.exitCode})`);
  const s = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const kib = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  const res = { rss: kib("VmRSS") / 1024, anon: kib("RssAnon") / 1024, threads: kib("Threads") };
  child.kill("SIGTERM");
  await gone;
  return res;
}

try {
  const plain = await measure("");
  const tuned = await measure(FLAGS);
  const f = (m: { rss: number; anon: number; threads: number }) =>
    `RSS ${m.rss.toFixed(1)} MiB, private ${m.anon.toFixed(1)} MiB, ${m.threads} threads`;
  console.log(`defaults:        ${f(plain)}`);
  console.log(`NODE_OPTIONS="${FLAGS}": ${f(tuned)}`);
  console.log(
    `idle-memory: default rss=${plain.rss.toFixed(1)} anon=${plain.anon.toFixed(1)} flags rss=${tuned.rss.toFixed(1)} anon=${tuned.anon.toFixed(1)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

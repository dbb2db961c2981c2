// `vigil demo` as a user runs it, typed commands instead of keys: the site answers through the
// virtual server, a killed node's group and site move within a second or so, and stopping the demo
// leaves none of its processes or files behind.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { after, it } from "node:test";

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
// Below the ephemeral range (32768..), so no client socket of another test holds one of its ports.
const base = 10000 + Math.floor(Math.random() * 450) * 20;
const demo = spawn(process.execPath, [MAIN, "demo", "--base-port", String(base)], { stdio: ["pipe", "pipe", "pipe"] });
let out = "";
demo.stdout.on("data", (d: Buffer) => (out += d.toString()));
demo.stderr.on("data", (d: Buffer) => (out += d.toString()));
after(() => {
  if (demo.exitCode === null) demo.kill("SIGKILL");
  for (const pid of pids()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  const dir = /files in (\S+)/.exec(out)?.[1];
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function pids(): number[] {
  return [...out.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, test: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end || demo.exitCode !== null) assert.fail(`timed out waiting for ${what}; output:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it("runs a cluster whose site follows a killed node, and stops without leaving anything behind", async () => {
  await until("every node up and the site answering from n1", () =>
    /up: n1 n2 n3 \| leader: n1 \(term \d+\) \| web on: n1 \| site served by: n1 \| answered by app-\d/.test(out),
  );
  assert.match(out, new RegExp(`web pages: +n1 http://127\\.0\\.0\\.1:${base}/`));
  const dir = /files in (\S+)/.exec(out)?.[1] ?? "";
  assert.ok(existsSync(dir));
  const page = await fetch(`http://127.0.0.1:${base + 1}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  const mark = out.length;
  demo.stdin.write("kill n1\n");
  await until("the site served by another node", () =>
    /web on: n[23] \| site served by: n[23] \| answered by app-\d/.test(out.slice(mark)),
  );
  assert.match(out.slice(mark), /web moves n1→n[23]: n1 unheard/);
  demo.stdin.write("stop app-2\n");
  await until("app-2 marked down", () => /app-2 DOWN/.test(out));
  const before = pids();
  assert.ok(before.length >= 6, `pids: ${before.join(" ")}`);
  const exited = new Promise<number | null>((r) => demo.once("exit", (code) => r(code)));
  demo.kill("SIGINT");
  const timeout = new Promise<string>((r) => setTimeout(() => r("still running 15s after Ctrl-C"), 15_000).unref());
  assert.equal(await Promise.race([exited, timeout]), 0, out);
  assert.match(out, /demo stopped; nothing left running/);
  assert.deepEqual(before.filter(alive), [], "every process the demo started is gone");
  assert.equal(existsSync(dir), false, "its temp dir is removed");
});

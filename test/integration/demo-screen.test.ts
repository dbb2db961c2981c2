// `vigil demo` on a terminal (tmux, driven with send-keys and read with capture-pane): one fixed
// screen redrawn in place, showing nodes, the group, the site, a text timeline and the last decisions;
// key 1 kills n1, and the same screen then shows n1 down, web on another node and the gap without a
// server; --log keeps every line; q stops it all. Skipped, loudly, without tmux.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
const tmux = (...args: string[]) => spawnSync("tmux", args, { encoding: "utf8" });
const why = tmux("-V").status === 0 ? undefined : "tmux is not installed";
if (why) process.stderr.write(`\n!!! SKIPPING the demo terminal test: ${why}\n\n`);

const session = `vigil-demo-test-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), "vigil-demo-screen-"));
const logFile = join(dir, "demo.log");
// Below the ephemeral range (32768..), so no client socket of another test holds one of its ports.
const base = 20000 + Math.floor(Math.random() * 500) * 20;
const screen = () => tmux("capture-pane", "-p", "-t", session).stdout;
const log = () => {
  try {
    return readFileSync(logFile, "utf8");
  } catch {
    return "";
  }
};

after(() => {
  tmux("kill-session", "-t", session);
  for (const m of log().matchAll(/\(pid (\d+)\)/g))
    try {
      process.kill(Number(m[1]), "SIGKILL");
    } catch {
      /* gone */
    }
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, test: (s: string) => boolean, ms = 30_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (test(s)) return s;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; screen:\n${s}\nlog:\n${log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The row on which a line starting with `prefix` is drawn. */
const row = (s: string, prefix: string) => s.split("\n").findIndex((l) => l.startsWith(prefix));

it("redraws one fixed screen in place and shows a killed node's failover on it", { skip: why }, async () => {
  const cmd = `${process.execPath} ${MAIN} demo --base-port ${base} --timers 50ms/1s --log ${logFile}`;
  // The pane stays after the demo exits, so a demo that failed to start shows its message.
  assert.equal(tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "48", "sleep 5").status, 0);
  assert.equal(tmux("set-option", "-t", session, "remain-on-exit", "on").status, 0);
  assert.equal(tmux("respawn-pane", "-k", "-t", session, cmd).status, 0);
  const first = await until(
    "every node up, web on n1 and the site answering",
    (s) =>
      /nodes: +n1 up ★ leader \(term \d+\) +n2 up +n3 up/.test(s) &&
      /group: +web running on n1\n/.test(s) &&
      /site: +served by n1 · answered by app-\d/.test(s) &&
      /timeline, last 60s .* as n1 saw it\n {2}web +n1 +│[^│]*█│/.test(s),
  );
  assert.match(first, /^vigil demo · /);
  const rows = ["nodes:", "group:", "site:", "timeline,", "last decisions:"].map((p) => row(first, p));
  assert.ok(
    rows.every((r) => r > 0),
    `every part is on the screen: ${rows.join(" ")}`,
  );

  tmux("send-keys", "-t", session, "1");
  const moved = await until(
    "web on another node and the gap named",
    (s) =>
      /n1 DOWN \(killed\)/.test(s) &&
      /group: +web running on n[23]\n/.test(s) &&
      /no node served web for [\d.]+m?s at [\d:.]+ \(n1 → n[23]\)/.test(s),
  );
  assert.match(moved, /^vigil demo · /, "the screen did not scroll");
  assert.match(moved, /\[n[23]\] web moves n1→n[23]: n1 unheard for \d+ms/);
  assert.deepEqual(
    ["nodes:", "group:", "site:", "timeline,"].map((p) => row(moved, p)),
    rows.slice(0, 4),
    "the same parts on the same rows",
  );
  assert.match(log(), /killed n1 \(SIGKILL, pid \d+\)/);
  assert.match(log(), /\[n[23]\] web moves n1→n[23]/);

  tmux("send-keys", "-t", session, "q");
  await until("the demo stopped", (s) => /demo stopped; nothing left running/.test(s), 20_000);
  const dead = () => tmux("display-message", "-p", "-t", session, "#{pane_dead}").stdout.trim();
  const end = Date.now() + 10_000;
  while (dead() !== "1" && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  assert.equal(dead(), "1", "q ended the demo");
});

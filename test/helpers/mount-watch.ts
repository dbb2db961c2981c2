// Where a shared disk is mounted, continuously: runs test/netns/mount-watch.mjs (outside the namespaces,
// at a higher priority than the cluster) over every host's mount table, and turns what it prints into
// activity intervals, so a test can assert with overlaps() (activity.ts) that no two hosts ever had the
// file system mounted at once.
import { spawn, type ChildProcess } from "node:child_process";
import { monotonicNow, type Interval } from "./activity.js";

const WATCH = new URL("../netns/mount-watch.mjs", import.meta.url).pathname;

/** A running watcher of one block device on several hosts. */
export class MountWatch {
  private child: ChildProcess;
  private out = "";
  private started: Promise<void>;
  /** The watcher's own account once stopped: how many polls, and the longest time between two. */
  stats: { polls: number; maxGapMs: number } | undefined;

  /** `holders`: each host with the pid of a process in its mount namespace (Lab.mountHolder). */
  constructor(
    readonly device: string,
    holders: [string, number][],
    readonly pollMs = 2,
  ) {
    this.child = spawn(
      "nice",
      ["-n", "-5", process.execPath, WATCH, device, String(pollMs), ...holders.map(([h, pid]) => `${h}=${pid}`)],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.child.stdout?.on("data", (c: Buffer) => (this.out += c.toString()));
    this.child.stderr?.on("data", (c: Buffer) => (this.out += c.toString()));
    this.started = new Promise((resolve, reject) => {
      const check = setInterval(() => {
        if (this.out.includes("watching\n")) {
          clearInterval(check);
          resolve();
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          clearInterval(check);
          reject(new Error(`the mount watcher exited at start: ${this.out.trim()}`));
        }
      }, 10);
    });
  }

  /** Resolves once the first poll is done. */
  ready(): Promise<void> {
    return this.started;
  }

  private lines(): string[][] {
    return this.out
      .slice(0, this.out.lastIndexOf("\n") + 1)
      .split("\n")
      .map((l) => l.split(" "));
  }

  /** Tables the watcher could not read ("HOST MESSAGE"): a host it was blind to. */
  errors(): string[] {
    return this.lines()
      .filter((p) => p[0] === "error")
      .map((p) => p.slice(1).join(" "));
  }

  /** Every interval in which a host had the device mounted, so far (a current mount ends now, `running`). */
  intervals(): Interval[] {
    const done: Interval[] = [];
    const open = new Map<string, Interval>();
    for (const [kind, host = "", t] of this.lines()) {
      const at = Number(t);
      if (kind === "mount") open.set(host, { host, from: at, to: at, ended: false, running: true });
      if (kind === "umount") {
        const i = open.get(host);
        if (i) done.push({ ...i, to: at, ended: true, running: false });
        open.delete(host);
      }
    }
    const now = monotonicNow();
    return [...done, ...[...open.values()].map((i) => ({ ...i, to: now }))].sort((a, b) => a.from - b.from);
  }

  /** Stops the watcher (SIGTERM, then SIGKILL after 2s) and reads its account. */
  async stop(): Promise<void> {
    const c = this.child;
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
      const gone = new Promise((r) => c.once("exit", r));
      c.kill("SIGTERM");
      const timer = setTimeout(() => c.kill("SIGKILL"), 2000);
      await gone;
      clearTimeout(timer);
    }
    const m = /polls (\d+) maxgap ([\d.]+)/.exec(this.out);
    if (m) this.stats = { polls: Number(m[1]), maxGapMs: Number(m[2]) };
  }
}

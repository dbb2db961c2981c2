// A resource whose activity a test can see at any instant on any host: an exec script that starts a
// holder process (test/netns/activity-holder.mjs) that records its start and its SIGTERM in a file per
// host, and a watcher outside the resource (activity-watch.mjs) that records its death however it came.
// From the files the test reconstructs when each host had the resource active and counts the instants
// at which two hosts had it at once. How the script stops is set per host: normally, slowly (5s), by failing
// (exit 1, the holder left running) or by hanging.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const HOLDER = new URL("../netns/activity-holder.mjs", import.meta.url).pathname;
const WATCH = new URL("../netns/activity-watch.mjs", import.meta.url).pathname;

/** How a host's stop behaves. */
export type StopMode = "normal" | "slow" | "fail" | "hang";

/** One stretch of activity on one host, monotonic ms. */
export interface Interval {
  host: string;
  from: number;
  to: number;
  /** Ended by SIGTERM (the stop); false: killed, or still running when read (then `to` is now). */
  ended: boolean;
  /** Still running when read. */
  running: boolean;
}

/** Milliseconds on the clock the holders write (CLOCK_MONOTONIC, shared by all namespaces). */
export const monotonicNow = (): number => Number(process.hrtime.bigint()) / 1e6;

/** The activity script and its files, in `dir`; `nsOf` maps a namespace name back to a host; `realIp` is
 * the `ip` binary to use (tests may put a failing stand-in first on vigil's PATH). */
export class Activity {
  readonly script: string;
  private readonly state: string;

  constructor(
    dir: string,
    private readonly nsOf: (ns: string) => string,
    realIp = "ip",
  ) {
    this.state = join(dir, "activity");
    mkdirSync(this.state, { recursive: true });
    this.script = join(dir, "activity.sh");
    const s = this.state;
    writeFileSync(
      this.script,
      [
        "#!/bin/sh",
        `ns=$(${realIp} netns identify $$); f="${s}/$ns"`,
        'alive() { [ -f "$f.pid" ] && p=$(cat "$f.pid") && [ -r /proc/$p/stat ] && [ "$(cut -d" " -f3 /proc/$p/stat)" != Z ]; }',
        'mode=$(cat "$f.mode" 2>/dev/null || echo normal)',
        'case "$1" in',
        "  start) alive && exit 0",
        `    nohup ${process.execPath} ${HOLDER} "$f.log" >/dev/null 2>&1 & echo $! > "$f.pid"`,
        `    env -u VIGIL_RESOURCE nohup ${process.execPath} ${WATCH} $! "$f.log" >/dev/null 2>&1 & ;;`,
        "  stop)",
        '    case "$mode" in slow) sleep 5 ;; fail) echo "stop refused (test)" >&2; exit 1 ;; hang) exec sleep 3600 ;; esac',
        '    alive && kill -TERM "$p"; while alive; do sleep 0.02; done; rm -f "$f.pid" ;;',
        "  status) alive || exit 3 ;;",
        "esac",
        "",
      ].join("\n"),
    );
    chmodSync(this.script, 0o755);
  }

  /** Sets how `host` (namespace `ns`) stops from now on. */
  setMode(ns: string, mode: StopMode): void {
    writeFileSync(join(this.state, `${ns}.mode`), `${mode}\n`);
  }

  private parsed = new Map<string, { offset: number; done: Interval[]; open: Interval | undefined }>();

  /** Every stretch of activity so far, per host, from the files (read on from where the last call stopped). */
  intervals(namespaces: string[]): Interval[] {
    const out: Interval[] = [];
    const now = monotonicNow();
    for (const ns of namespaces) {
      const file = join(this.state, `${ns}.log`);
      const p = this.parsed.get(ns) ?? { offset: 0, done: [], open: undefined };
      this.parsed.set(ns, p);
      if (existsSync(file)) {
        const text = readFileSync(file).subarray(p.offset).toString("utf8");
        const complete = text.slice(0, text.lastIndexOf("\n") + 1);
        p.offset += Buffer.byteLength(complete);
        for (const line of complete.split("\n")) {
          const [kind, t] = line.split(" ");
          const at = Number(t);
          if (!kind || Number.isNaN(at)) continue;
          if (kind === "start") {
            if (p.open) p.done.push({ ...p.open, running: false });
            p.open = { host: this.nsOf(ns), from: at, to: at, ended: false, running: true };
          } else if ((kind === "end" || kind === "dead") && p.open) {
            p.done.push({ ...p.open, to: at, ended: kind === "end", running: false });
            p.open = undefined;
          }
        }
      }
      out.push(...p.done);
      if (p.open) out.push({ ...p.open, to: now });
    }
    return out.sort((a, b) => a.from - b.from);
  }
}

/** Pairs of intervals on different hosts that overlap, with the overlap in ms. */
export function overlaps(intervals: Interval[]): { a: Interval; b: Interval; ms: number }[] {
  const found: { a: Interval; b: Interval; ms: number }[] = [];
  intervals.forEach((a, i) => {
    for (const b of intervals.slice(i + 1)) {
      const ms = Math.min(a.to, b.to) - Math.max(a.from, b.from);
      if (a.host !== b.host && ms > 0) found.push({ a, b, ms });
    }
  });
  return found;
}

/** A readable list of intervals relative to `t0`, for assertion messages. */
export function describeIntervals(intervals: Interval[], t0: number): string {
  return intervals
    .map(
      (i) =>
        `${i.host} ${Math.round(i.from - t0)}..${Math.round(i.to - t0)}ms${i.running ? " (running)" : i.ended ? "" : " (killed)"}`,
    )
    .join(", ");
}

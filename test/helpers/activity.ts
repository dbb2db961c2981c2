// A resource whose activity a test can see at any instant on any host: an exec script that starts a
// holder process (test/netns/activity-holder.mjs) writing a line every 2ms to a file per host. From the
// files the test reconstructs when each host had the resource active and counts the instants at which
// two hosts had it at once. How the script stops is set per host: normally, slowly (5s), by failing
// (exit 1, the holder left running) or by hanging.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const HOLDER = new URL("../netns/activity-holder.mjs", import.meta.url).pathname;

/** How a host's stop behaves. */
export type StopMode = "normal" | "slow" | "fail" | "hang";

/** One stretch of activity on one host, monotonic ms. */
export interface Interval {
  host: string;
  from: number;
  to: number;
  /** Ended by SIGTERM (the stop); false: killed, or still running when read. */
  ended: boolean;
}

/** A killed holder's last tick is at most this long before it died, ms. */
const TICK_SLACK_MS = 5;

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
        `  start) alive && exit 0; nohup ${process.execPath} ${HOLDER} "$f.log" >/dev/null 2>&1 & echo $! > "$f.pid" ;;`,
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

  /** Every stretch of activity so far, per host, from the files. */
  intervals(namespaces: string[]): Interval[] {
    const out: Interval[] = [];
    for (const ns of namespaces) {
      const file = join(this.state, `${ns}.log`);
      if (!existsSync(file)) continue;
      let open: Interval | undefined;
      let last = 0;
      const close = (ended: boolean, at: number) => {
        if (open) out.push({ ...open, to: at, ended });
        open = undefined;
      };
      for (const line of readFileSync(file, "utf8").split("\n")) {
        const [kind, t] = line.split(" ");
        const at = Number(t);
        if (!kind || Number.isNaN(at)) continue;
        if (kind === "start") {
          close(false, last + TICK_SLACK_MS);
          open = { host: this.nsOf(ns), from: at, to: at, ended: false };
        } else if (kind === "tick") last = at;
        else if (kind === "end") close(true, at);
      }
      close(false, last + TICK_SLACK_MS);
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
      (i) => `${i.host} ${Math.round(i.from - t0)}..${Math.round(i.to - t0)}ms${i.ended ? "" : " (killed or running)"}`,
    )
    .join(", ");
}

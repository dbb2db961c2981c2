// The benchmarks' `--vigil-timers` option: one or more vigil heartbeat settings, each INTERVAL/LEASE in
// config durations, separated by commas ("25ms/150ms,10ms/60ms"). Checked against the same rule as the
// config (lease ≥ 3 × interval) so a bad setting fails before any cluster starts.
import { MIN_LEASE_INTERVALS } from "../src/core/config/cross-checks.js";
import { formatDuration, parseDuration } from "../src/core/config/duration.js";

/** One vigil heartbeat setting as a benchmark runs it. */
export interface VigilTimers {
  interval: number;
  lease: number;
  /** "25ms/150ms". */
  label: string;
  /** The `heartbeat:` line for the `cluster:` section (indented by two spaces, newline-terminated). */
  yaml: string;
}

/** Parses "INTERVAL/LEASE[,INTERVAL/LEASE...]"; throws with the offending part on a mistake. */
export function parseTimers(text: string): VigilTimers[] {
  return text.split(",").map((part) => {
    const [i = "", l = "", ...rest] = part.trim().split("/");
    const interval = parseDuration(i);
    const lease = parseDuration(l);
    if (interval === undefined || lease === undefined || rest.length > 0)
      throw new Error(`--vigil-timers: expected INTERVAL/LEASE such as 10ms/60ms, got "${part}"`);
    if (interval < 1 || lease < MIN_LEASE_INTERVALS * interval)
      throw new Error(
        `--vigil-timers ${part}: the lease must be at least ${MIN_LEASE_INTERVALS} × the interval (and the interval at least 1ms)`,
      );
    const label = `${formatDuration(interval)}/${formatDuration(lease)}`;
    return {
      interval,
      lease,
      label,
      yaml: `  heartbeat: { interval: ${formatDuration(interval)}, lease: ${formatDuration(lease)} }\n`,
    };
  });
}

/** The settings given with --vigil-timers on the command line, or `fallback`; a mistake ends the
 * script with its message and exit code 2. */
export function timersFromArgs(fallback: string, argv = process.argv): VigilTimers[] {
  const i = argv.indexOf("--vigil-timers");
  try {
    return parseTimers(i >= 0 ? (argv[i + 1] ?? "") : fallback);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
}

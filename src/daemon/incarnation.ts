// The boot incarnation: larger than that of every earlier run of this node, even after the wall clock
// was set back. Peers drop packets of a lower incarnation than the highest they saw (stale or replayed
// packets of an earlier run), so a restarted node must come back higher, or it is shut out until every
// peer restarts. The last incarnation is kept in a state file (written and fsync'd before the first
// packet); the next one is max(last + 1, wall-clock ms): close to the time while clocks are sane, still
// growing when they are not. Only if the state file is lost *and* the clock went back does a node come
// back lower; it then logs why, and peers ignore it until their view of it expires (a restart of theirs).
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";

/** The state directory (kept across reboots, unlike the runtime dir): env VIGIL_STATE_DIR, default /var/lib/vigil. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.VIGIL_STATE_DIR || "/var/lib/vigil";
}

/** The incarnation file of `node` in `cluster` under `dir`. */
export function incarnationFile(dir: string, cluster: string, node: string): string {
  return join(dir, `${encodeURIComponent(cluster)}.${encodeURIComponent(node)}.incarnation`);
}

/** The wall clock the incarnation is drawn from. VIGIL_TEST_CLOCK_OFFSET_MS (tests only) shifts it, to
 * restart a node "with its clock set back" without touching the system clock. */
export function incarnationClock(env: NodeJS.ProcessEnv = process.env): () => number {
  const offset = Number(env.VIGIL_TEST_CLOCK_OFFSET_MS ?? 0);
  return Number.isFinite(offset) && offset !== 0 ? () => Date.now() + offset : () => Date.now();
}

/** The incarnation chosen at start and what the log should say about it. */
export interface Incarnation {
  inc: number;
  /** The incarnation of the previous run, if the state file had one. */
  previous?: number;
  /** Problems with the state file (each a sentence saying what to do); the daemon runs on and warns. */
  warnings: string[];
}

const MAX = Number.MAX_SAFE_INTEGER;

/** Reads the last incarnation, picks the next and records it durably (write, fsync, rename, fsync dir). */
export function nextIncarnation(file: string, wallNow: number): Incarnation {
  const warnings: string[] = [];
  let previous: number | undefined;
  try {
    const text = readFileSync(file, "utf8").trim();
    const n = Number(text);
    if (/^\d{1,16}$/.test(text) && Number.isSafeInteger(n)) previous = n;
    else
      warnings.push(
        `incarnation file ${file} holds no incarnation ("${text.slice(0, 20)}"); using the wall clock, so peers may ignore this node if its clock was set back (they accept it again after they restart)`,
      );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      warnings.push(`cannot read incarnation file ${file} (${(err as Error).message}); using the wall clock`);
  }
  const inc = Math.min(MAX - 1, Math.max((previous ?? -1) + 1, Math.floor(wallNow)));
  try {
    writeDurably(file, `${inc}\n`);
  } catch (err) {
    warnings.push(
      `cannot record incarnation ${inc} in ${file} (${(err as Error).message}): the next start of this node falls back to the wall clock; make ${dirname(file)} writable (or set VIGIL_STATE_DIR)`,
    );
  }
  return previous === undefined ? { inc, warnings } : { inc, previous, warnings };
}

function writeDurably(file: string, text: string): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dfd = openSync(dir, "r");
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

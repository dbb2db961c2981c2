// Structured logging with pino: JSON lines on stderr. A log write that fails (stderr a closed pipe, a
// full disk, a stuck reader) never stops the daemon: the LogSink counts it and drops the lines, and once
// a write succeeds again one line says how many were lost. A broken stdout or stderr stream is ignored.
import { pino, type Logger } from "pino";
import { LogSink, type LogSinkFailures } from "./log-sink.js";

export type { Logger };

const sinks: LogSink[] = [];

/** What failed to reach the logs of this process since it started (for metrics and status). */
export function logWriteFailures(): LogSinkFailures {
  const out: LogSinkFailures = { errors: {}, lostLines: 0 };
  for (const s of sinks) {
    out.lostLines += s.failures.lostLines;
    for (const [code, n] of Object.entries(s.failures.errors)) out.errors[code] = (out.errors[code] ?? 0) + n;
  }
  return out;
}

let stdioGuarded = false;

/** Keeps a broken stdout or stderr from crashing the process (a stream 'error' without a listener is
 * an uncaught exception) and flushes the log sinks once at exit. Idempotent. */
function guardStdio(): void {
  if (stdioGuarded) return;
  stdioGuarded = true;
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  process.on("exit", () => {
    for (const s of sinks) s.flushSync();
  });
}

/** Creates the process logger on `fd` (default stderr); `VIGIL_LOG_LEVEL` overrides the level (default info). */
export function createLogger(bindings: Record<string, unknown> = {}, fd = 2): Logger {
  guardStdio();
  const sink = new LogSink(fd, (lost) =>
    log.warn(
      { logWriteFailures: logWriteFailures() },
      `${lost} log lines were lost before this one: the log destination failed (see logWriteFailures)`,
    ),
  );
  sinks.push(sink);
  const log: Logger = pino(
    { level: process.env.VIGIL_LOG_LEVEL ?? "info", base: bindings, timestamp: pino.stdTimeFunctions.isoTime },
    sink,
  );
  return log;
}

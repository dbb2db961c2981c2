// Structured logging with pino: JSON lines on stderr for machines, or a terse human form on a terminal.
import { pino, type Logger } from "pino";

export type { Logger };

/** Creates the process logger; `VIGIL_LOG_LEVEL` overrides the level (default info). */
export function createLogger(bindings: Record<string, unknown> = {}): Logger {
  return pino(
    { level: process.env.VIGIL_LOG_LEVEL ?? "info", base: bindings, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination(2),
  );
}

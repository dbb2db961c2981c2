// Fault injection for tests (only with VIGIL_FAULT_INJECTION=1): the API's /debug routes end here. The
// main thread blocks itself; the other faults are carried out by the cluster thread.
import type { Logger } from "../adapters/logger.js";
import type { DebugFault } from "../api/server.js";
import type { ToWorker } from "./worker-protocol.js";

/** Whether `vigil run` was started with VIGIL_FAULT_INJECTION=1. */
export function faultInjectionEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.VIGIL_FAULT_INJECTION === "1";
}

/** Blocks the calling thread synchronously for `ms` (no timer, I/O or message runs meanwhile). */
export function blockThread(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Carries out one fault: blocks the main thread, or hands the fault to the cluster thread. */
export function injectFault(fault: DebugFault, post: (m: ToWorker) => void, log: Logger): void {
  log.warn({ fault }, `fault injection: ${fault.kind}${"ms" in fault ? ` for ${fault.ms}ms` : ""}`);
  if (fault.kind === "block-main") return blockThread(fault.ms);
  post({ t: "fault", fault });
}

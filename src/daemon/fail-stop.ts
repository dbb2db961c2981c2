// The daemon fails stop: when its cluster thread dies, hangs or silenced the node (because the main
// thread hung), it logs one fatal line saying why, stops every group that may be active here, closes
// the API and the virtual servers, and exits with code 70. A hard deadline exits anyway if a step hangs:
// the node no longer renews its leases, and the VIP guard still removes the VIPs when they run out.
import type { Logger } from "../adapters/logger.js";

/** The exit code of a daemon that failed stop (EX_SOFTWARE). */
export const FAIL_STOP_EXIT_CODE = 70;

/** The steps of a fail stop, run in order; a step that throws is logged and the next one runs. */
export interface FailStopSteps {
  /** Stops every group whose resources may be active here. */
  stopGroups(): Promise<void>;
  /** Closes the API, the virtual servers and the cluster thread. */
  close(): Promise<void>;
}

/** Runs the fail stop once, then exits. */
export class FailStop {
  private why: string | undefined;

  constructor(
    private steps: FailStopSteps,
    /** After this long the process exits even if a step has not finished, ms. */
    private deadlineMs: number,
    private log: Logger,
    private exit: (code: number) => void = (code) => process.exit(code),
  ) {}

  /** Whether a fail stop is under way. */
  get active(): boolean {
    return this.why !== undefined;
  }

  /** Starts the fail stop (later calls are ignored). */
  trigger(reason: string): void {
    if (this.why !== undefined) return;
    this.why = reason;
    this.log.fatal(
      { failStop: true, exitCode: FAIL_STOP_EXIT_CODE },
      `failing stop: ${reason}; stopping every group here, then exiting with code ${FAIL_STOP_EXIT_CODE}`,
    );
    const hard = setTimeout(() => {
      this.log.error(
        { failStop: true },
        `fail stop: not finished after ${this.deadlineMs}ms; exiting anyway (the leases are no longer renewed and the VIP guard removes the VIPs)`,
      );
      this.exit(FAIL_STOP_EXIT_CODE);
    }, this.deadlineMs);
    void this.run().then(() => {
      clearTimeout(hard);
      this.exit(FAIL_STOP_EXIT_CODE);
    });
  }

  private async run(): Promise<void> {
    for (const [name, step] of [
      ["stopping the groups", () => this.steps.stopGroups()],
      ["closing", () => this.steps.close()],
    ] as const) {
      try {
        await step();
      } catch (err) {
        this.log.error({ failStop: true }, `fail stop: ${name} failed: ${(err as Error).message}`);
      }
    }
  }
}

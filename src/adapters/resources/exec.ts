// `exec` resources: an LSB-style script called as `PATH start|stop|status [ARGS...]` (the action first, as
// init scripts take it), or in heartbeat's convention `PATH [ARGS...] start|stop|status` (haresources'
// `script::arg1::arg2`).
import { describeResult, operationOutcome, runCommand } from "../run-command.js";
import { killAndCheck } from "./kill-and-check.js";
import type { MonitorResult, OpLimits, OpResult, ResourceAgent } from "./resource-agent.js";

/** Drives an LSB-style script. */
export class ExecAgent implements ResourceAgent {
  readonly description: string;

  /** `tag` marks every process the script starts (see killTagged). */
  constructor(
    private path: string,
    private args: readonly string[],
    private limits: OpLimits,
    private tag: string,
    private convention: "lsb" | "heartbeat" = "lsb",
  ) {
    this.description = `exec ${[path, ...args].join(" ")}`;
  }

  /** The arguments of one call with `action`, in this script's convention. */
  private argv(action: string): string[] {
    return this.convention === "heartbeat" ? [...this.args, action] : [action, ...this.args];
  }

  /** A stop past its limit is SIGKILLed at once: its time is part of the group's stop budget. */
  private async op(action: "start" | "stop"): Promise<OpResult> {
    return operationOutcome(
      `${this.description} ${action}`,
      await runCommand(this.path, this.argv(action), {
        timeoutMs: this.limits[action],
        tag: this.tag,
        graceMs: action === "stop" ? 0 : undefined,
      }),
    );
  }

  start(): Promise<OpResult> {
    return this.op("start");
  }

  stop(): Promise<OpResult> {
    return this.op("stop");
  }

  monitor(): Promise<MonitorResult> {
    return this.status(this.limits.monitor);
  }

  /** LSB status: 0 running, 3 stopped, anything else failed. */
  private async status(timeoutMs: number): Promise<MonitorResult> {
    const r = await runCommand(this.path, this.argv("status"), { timeoutMs, tag: this.tag });
    const state = r.code === 0 ? "running" : r.code === 3 ? "stopped" : "failed";
    return { state, detail: `${this.description} status: ${describeResult(r)}`, output: r.output.trim() };
  }

  /** SIGKILL of every process the script started; ok when then its status says stopped. */
  kill(): Promise<OpResult> {
    return killAndCheck(this.tag, (ms) => this.status(ms));
  }
}

// `exec` resources: an LSB-style script called as `PATH [ARGS...] start|stop|status`.
import { describeResult, runCommand } from "../run-command.js";
import type { OpResult, ResourceAgent } from "./agent.js";

/** Drives an LSB-style script. */
export class ExecAgent implements ResourceAgent {
  readonly description: string;

  constructor(private path: string, private args: readonly string[], private timeoutMs: number) {
    this.description = `exec ${[path, ...args].join(" ")}`;
  }

  private async op(action: "start" | "stop"): Promise<OpResult> {
    const r = await runCommand(this.path, [...this.args, action], { timeoutMs: this.timeoutMs });
    return { ok: r.code === 0, detail: `${this.description} ${action}: ${describeResult(r)}`, output: r.output.trim() };
  }

  start(): Promise<OpResult> {
    return this.op("start");
  }

  stop(): Promise<OpResult> {
    return this.op("stop");
  }
}

// `systemd` resources: a unit driven with `systemctl start|stop|is-active UNIT`.
import { describeResult, operationOutcome, runCommand } from "../run-command.js";
import type { MonitorResult, OpLimits, OpResult, ResourceAgent } from "./resource-agent.js";

/** Drives one systemd unit through systemctl (found on PATH). */
export class SystemdAgent implements ResourceAgent {
  readonly description: string;

  constructor(private unit: string, private limits: OpLimits) {
    this.description = `systemd ${unit}`;
  }

  private async op(action: "start" | "stop"): Promise<OpResult> {
    return operationOutcome(`${this.description} ${action}`, await runCommand("systemctl", [action, this.unit], { timeoutMs: this.limits[action] }));
  }

  start(): Promise<OpResult> {
    return this.op("start");
  }

  stop(): Promise<OpResult> {
    return this.op("stop");
  }

  async monitor(): Promise<MonitorResult> {
    const r = await runCommand("systemctl", ["is-active", this.unit], { timeoutMs: this.limits.monitor });
    const said = r.output.trim();
    const state = r.code === 0 ? "running" : said === "inactive" || said === "deactivating" ? "stopped" : "failed";
    return { state, detail: `${this.description} is-active: ${said || describeResult(r)}`, output: said };
  }
}

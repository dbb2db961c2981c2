// `systemd` resources: a unit driven with `systemctl start|stop|is-active UNIT`.
import { describeResult, operationOutcome, runCommand } from "../run-command.js";
import { KILL_BOUND_MS } from "../../core/config/stop-budget.js";
import { killTagged } from "./kill-tagged.js";
import type { MonitorResult, OpLimits, OpResult, ResourceAgent } from "./resource-agent.js";

/** Drives one systemd unit through systemctl (found on PATH). */
export class SystemdAgent implements ResourceAgent {
  readonly description: string;

  /** `tag` marks the systemctl runs (the unit's own processes are systemd's children, not ours). */
  constructor(
    private unit: string,
    private limits: OpLimits,
    private tag: string,
  ) {
    this.description = `systemd ${unit}`;
  }

  private async op(action: "start" | "stop"): Promise<OpResult> {
    return operationOutcome(
      `${this.description} ${action}`,
      await runCommand("systemctl", [action, this.unit], {
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

  async monitor(): Promise<MonitorResult> {
    const r = await runCommand("systemctl", ["is-active", this.unit], {
      timeoutMs: this.limits.monitor,
      tag: this.tag,
    });
    const said = r.output.trim();
    const state = r.code === 0 ? "running" : said === "inactive" || said === "deactivating" ? "stopped" : "failed";
    return { state, detail: `${this.description} is-active: ${said || describeResult(r)}`, output: said };
  }

  /** `systemctl kill --signal=SIGKILL UNIT` (every process of the unit's cgroup), and SIGKILL of anything
   * tagged, both within KILL_BOUND_MS; ok only when both are. */
  async kill(): Promise<OpResult> {
    const deadline = performance.now() + KILL_BOUND_MS;
    const r = await runCommand("systemctl", ["kill", "--signal=SIGKILL", this.unit], {
      timeoutMs: KILL_BOUND_MS / 2,
      graceMs: 0,
    });
    const k = await killTagged(this.tag, Math.max(0, deadline - performance.now()));
    const ok = r.code === 0 && k.ok;
    return {
      ok,
      detail: `systemctl kill --signal=SIGKILL ${this.unit} ${describeResult(r)}; ${k.detail}`,
      output: r.output.trim() || undefined,
    };
  }
}

// `ocf` resources: an OCF agent (`$OCF_ROOT/resource.d/PROVIDER/AGENT`) driven as pacemaker does, with
// OCF_ROOT, OCF_RESOURCE_INSTANCE and OCF_RESKEY_* in the environment. Exit codes follow the OCF
// standard: 0 success / running, 7 not running, 8 running promoted; anything else is a failure.
import { join } from "node:path";
import { describeResult, operationOutcome, runCommand } from "../run-command.js";
import type { MonitorResult, OpResult, ResourceAgent } from "./agent.js";

/** Where OCF agents live unless OCF_ROOT says otherwise. */
export const DEFAULT_OCF_ROOT = "/usr/lib/ocf";

/** OCF exit codes vigil distinguishes. */
export const OCF = { SUCCESS: 0, NOT_RUNNING: 7, RUNNING_PROMOTED: 8 } as const;

/** Drives one OCF agent instance. */
export class OcfAgent implements ResourceAgent {
  readonly description: string;
  private path: string;
  private env: Record<string, string>;

  constructor(agent: string, instance: string, params: Record<string, string | number | boolean>, private timeoutMs: number, ocfRoot = DEFAULT_OCF_ROOT) {
    const [provider = "", type = ""] = agent.split("/");
    this.path = join(ocfRoot, "resource.d", provider, type);
    this.description = `ocf ${agent} (${instance})`;
    this.env = {
      OCF_ROOT: ocfRoot,
      OCF_RA_VERSION_MAJOR: "1",
      OCF_RA_VERSION_MINOR: "0",
      OCF_RESOURCE_INSTANCE: instance,
      OCF_RESOURCE_TYPE: type,
      OCF_RESOURCE_PROVIDER: provider,
      ...Object.fromEntries(Object.entries(params).map(([k, v]) => [`OCF_RESKEY_${k}`, String(v)])),
    };
  }

  private run(action: string) {
    return runCommand(this.path, [action], { timeoutMs: this.timeoutMs, env: this.env });
  }

  async start(): Promise<OpResult> {
    return operationOutcome(`${this.description} start`, await this.run("start"));
  }

  async stop(): Promise<OpResult> {
    return operationOutcome(`${this.description} stop`, await this.run("stop"));
  }

  async monitor(): Promise<MonitorResult> {
    const r = await this.run("monitor");
    const state = r.code === OCF.SUCCESS || r.code === OCF.RUNNING_PROMOTED ? "running" : r.code === OCF.NOT_RUNNING ? "stopped" : "failed";
    return { state, detail: `${this.description} monitor: ${describeResult(r)}`, output: r.output.trim() };
  }
}

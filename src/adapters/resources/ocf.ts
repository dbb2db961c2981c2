// `ocf` resources: an OCF agent (`$OCF_ROOT/resource.d/PROVIDER/AGENT`) driven as pacemaker does, with
// OCF_ROOT, OCF_RESOURCE_INSTANCE, OCF_RESKEY_* and OCF_RESKEY_CRM_meta_timeout (the operation's own limit) in the environment.
// Exit codes follow the OCF standard: 0 success / running, 7 not running, 8 running promoted; anything
// else is a failure. Agents keep pid and state files in HA_RSCTMP (from vigil's environment, default
// /run/resource-agents), which is made if missing: systemd-tmpfiles makes it at boot, but nothing
// does where systemd is not PID 1.
import { mkdir } from "node:fs/promises";
import { describeResult, operationOutcome, runCommand, type CommandResult } from "../run-command.js";
import { killAndCheck } from "./kill-and-check.js";
import { verifiedOcfAgentPath } from "./ocf-path.js";
import type { MonitorResult, OpLimits, OpResult, ResourceAgent } from "./resource-agent.js";

/** Where OCF agents live unless OCF_ROOT says otherwise. */
export const DEFAULT_OCF_ROOT = "/usr/lib/ocf";

/** Where agents keep pid and state files unless HA_RSCTMP says otherwise (as resource-agents' ocf-directories). */
export const DEFAULT_HA_RSCTMP = "/run/resource-agents";

/** OCF exit codes vigil distinguishes. */
export const OCF = { SUCCESS: 0, NOT_RUNNING: 7, RUNNING_PROMOTED: 8 } as const;

/** Drives one OCF agent instance. */
export class OcfAgent implements ResourceAgent {
  readonly description: string;
  private agent: string;
  private ocfRoot: string;
  private env: Record<string, string>;
  private rscTmp: string;

  /** `tag` marks every process the agent starts (see killTagged). */
  constructor(
    agent: string,
    instance: string,
    params: Record<string, string | number | boolean>,
    private limits: OpLimits,
    private tag: string,
    ocfRoot = DEFAULT_OCF_ROOT,
  ) {
    const [provider = "", type = ""] = agent.split("/");
    this.agent = agent;
    this.ocfRoot = ocfRoot;
    this.description = `ocf ${agent} (${instance})`;
    this.rscTmp = process.env.HA_RSCTMP || DEFAULT_HA_RSCTMP;
    this.env = {
      OCF_ROOT: ocfRoot,
      HA_RSCTMP: this.rscTmp,
      OCF_RA_VERSION_MAJOR: "1",
      OCF_RA_VERSION_MINOR: "0",
      OCF_RESOURCE_INSTANCE: instance,
      OCF_RESOURCE_TYPE: type,
      OCF_RESOURCE_PROVIDER: provider,
      ...Object.fromEntries(Object.entries(params).map(([k, v]) => [`OCF_RESKEY_${k}`, String(v)])),
    };
  }

  /** Runs one action; OCF_RESKEY_CRM_meta_timeout is that action's own limit. A stop past it is
   * SIGKILLed at once (its time is part of the group's stop budget). */
  private async run(action: "start" | "stop" | "monitor", timeoutMs = this.limits[action]) {
    // A failure to make it is left to the agent to report, in its own words.
    await mkdir(this.rscTmp, { recursive: true, mode: 0o1755 }).catch(() => undefined);
    const where = verifiedOcfAgentPath(this.ocfRoot, this.agent);
    if (!where.ok)
      return {
        code: null,
        signal: null,
        timedOut: false,
        spawnError: where.detail,
        output: "",
        ms: 0,
      } satisfies CommandResult;
    return runCommand(where.path, [action], {
      timeoutMs,
      tag: this.tag,
      graceMs: action === "stop" ? 0 : undefined,
      env: { ...this.env, OCF_RESKEY_CRM_meta_timeout: String(timeoutMs) },
    });
  }

  async start(): Promise<OpResult> {
    return operationOutcome(`${this.description} start`, await this.run("start"));
  }

  async stop(): Promise<OpResult> {
    return operationOutcome(`${this.description} stop`, await this.run("stop"));
  }

  monitor(): Promise<MonitorResult> {
    return this.status(this.limits.monitor);
  }

  private async status(timeoutMs: number): Promise<MonitorResult> {
    const r = await this.run("monitor", timeoutMs);
    const state =
      r.code === OCF.SUCCESS || r.code === OCF.RUNNING_PROMOTED
        ? "running"
        : r.code === OCF.NOT_RUNNING
          ? "stopped"
          : "failed";
    return { state, detail: `${this.description} monitor: ${describeResult(r)}`, output: r.output.trim() };
  }

  /** SIGKILL of every process the agent started; ok when then its monitor says not running. */
  kill(): Promise<OpResult> {
    return killAndCheck(this.tag, (ms) => this.status(ms));
  }
}

// `notify` scripts: called as `SCRIPT GROUP NODE STATE` (master | backup | fault | stopped), or in
// keepalived's convention `SCRIPT TYPE NAME STATE PRIORITY`, whenever a group's state on this node
// changes, in order per group, with a timeout, never blocking the cluster loop or the resource operations.
import type { Logger } from "../adapters/logger.js";
import { describeResult, runCommand } from "../adapters/run-command.js";

/** A group's state as notify scripts see it on this node. */
export type NotifyState = "master" | "backup" | "fault" | "stopped";

/** How to call one group's notify script. */
export interface NotifyCommand {
  path: string;
  /** Arguments before the ones vigil adds. */
  args: readonly string[];
  /** `vigil`: GROUP NODE STATE; `keepalived`: TYPE NAME STATE PRIORITY. */
  convention: "vigil" | "keepalived";
  /** keepalived: TYPE (INSTANCE or GROUP). */
  type: string;
  /** keepalived: NAME. */
  name: string;
  /** keepalived: PRIORITY (this node's priority). */
  priority: number;
}

const KEEPALIVED_STATE: Record<NotifyState, string> = {
  master: "MASTER",
  backup: "BACKUP",
  fault: "FAULT",
  stopped: "STOP",
};

/** The argument list of one call of `c` for `group` becoming `state` on `node`. */
export function notifyArgs(c: NotifyCommand, group: string, node: string, state: NotifyState): string[] {
  return c.convention === "keepalived"
    ? [...c.args, c.type, c.name, KEEPALIVED_STATE[state], String(c.priority)]
    : [...c.args, group, node, state];
}

/** Whether two commands call the same thing the same way. */
function same(a: NotifyCommand | undefined, b: NotifyCommand): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/** Time one notify call may take. */
export const NOTIFY_TIMEOUT_MS = 10_000;

/** Runs the notify scripts of groups that have one. */
export class Notifier {
  private chains = new Map<string, Promise<void>>();
  private last = new Map<string, NotifyState>();
  /** Scripts of groups removed from the config while running here, kept until their stop. */
  private leaving = new Map<string, NotifyCommand>();

  constructor(
    private scripts: Map<string, NotifyCommand>,
    private node: string,
    private log: Logger,
  ) {}

  /** Takes the scripts of a reloaded config; a group that gained a script is told its next change. */
  setScripts(scripts: Map<string, NotifyCommand>): void {
    for (const [g, script] of scripts) if (!same(this.scripts.get(g), script)) this.last.delete(g);
    this.scripts = scripts;
  }

  /** A group left the config (call before setScripts): its script is told "stopped" now, or, while the
   * group still runs here, once it has stopped. */
  removeGroup(group: string, runningHere: boolean): void {
    const script = this.scripts.get(group);
    if (!script) return;
    if (runningHere) this.leaving.set(group, script);
    else void this.run(group, script, "stopped");
  }

  /** Queues a notification when the state changed; returns once it has run (tests wait on it). */
  notify(group: string, state: NotifyState): Promise<void> {
    const leftScript = this.leaving.get(group);
    if (leftScript !== undefined) {
      if (state === "fault" || state === "master") return this.run(group, leftScript, state);
      this.leaving.delete(group);
      return this.run(group, leftScript, "stopped");
    }
    const script = this.scripts.get(group);
    if (!script || this.last.get(group) === state) return this.chains.get(group) ?? Promise.resolve();
    return this.run(group, script, state);
  }

  private run(group: string, script: NotifyCommand, state: NotifyState): Promise<void> {
    this.last.set(group, state);
    const next = (this.chains.get(group) ?? Promise.resolve()).then(async () => {
      const args = notifyArgs(script, group, this.node, state);
      const r = await runCommand(script.path, args, { timeoutMs: NOTIFY_TIMEOUT_MS });
      const line = `notify ${[script.path, ...args].join(" ")}: ${describeResult(r)}`;
      if (r.code === 0) this.log.info({ group, notify: state }, line);
      else this.log.warn({ group, notify: state, output: r.output.trim() || undefined }, line);
    });
    this.chains.set(group, next);
    return next;
  }
}

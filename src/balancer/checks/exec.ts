// Script health check, like keepalived's MISC_CHECK: runs SCRIPT ARGS... IP PORT without a shell;
// exit 0 means healthy. At the timeout the script's whole process group is killed.
import { runCommand } from "../../adapters/run-command.js";
import type { CheckResult, CheckTarget } from "./result.js";

/** Longest piece of the script's output quoted in a detail. */
const QUOTE_LIMIT = 200;

/** Runs `script` for `target` and judges its exit. Never throws. */
export async function checkExec(
  target: CheckTarget,
  opts: { script: string; args: readonly string[]; timeoutMs: number; signal?: AbortSignal },
): Promise<CheckResult> {
  const r = await runCommand(opts.script, [...opts.args, target.ip, String(target.port)], {
    timeoutMs: opts.timeoutMs,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const latencyMs = Math.round(r.ms * 10) / 10;
  const firstLine = r.output.trim().split("\n", 1)[0]?.slice(0, QUOTE_LIMIT) ?? "";
  const said = firstLine ? `: ${firstLine}` : " (no output)";
  if (r.spawnError) return { ok: false, detail: `could not start ${opts.script}: ${r.spawnError}`, latencyMs };
  if (r.timedOut) return { ok: false, detail: `timed out after ${opts.timeoutMs}ms (killed)`, latencyMs };
  if (opts.signal?.aborted) return { ok: false, detail: "check cancelled", latencyMs };
  if (r.signal) return { ok: false, detail: `killed by ${r.signal}${said}`, latencyMs };
  if (r.code !== 0) return { ok: false, detail: `exit ${r.code}${said}`, latencyMs };
  return { ok: true, detail: `exit 0 in ${Math.round(r.ms)}ms`, latencyMs };
}

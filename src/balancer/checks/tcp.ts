// TCP health check: the server is healthy when a connection opens within the timeout.
import { connect } from "node:net";
import { deadline, describeSocketError, elapsed, type CheckResult, type CheckTarget } from "./result.js";

/** Connects to `target` and closes at once; fails on refusal, error, timeout or abort. Never throws. */
export function checkTcp(target: CheckTarget, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<CheckResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const socket = connect({ host: target.ip, port: target.port });
    const finish = (ok: boolean, detail: string) => {
      if (done) return;
      done = true;
      cancelDeadline();
      opts.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve({ ok, detail, latencyMs: elapsed(started) });
    };
    const onAbort = () => finish(false, "check cancelled");
    const cancelDeadline = deadline(opts.timeoutMs, () =>
      finish(false, `timed out after ${opts.timeoutMs}ms connecting`),
    );
    socket.once("connect", () => finish(true, `connected in ${Math.round(performance.now() - started)}ms`));
    socket.on("error", (err) => finish(false, describeSocketError(err)));
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// MariaDB health check, in process (no client program per check): logs in with the check's account and
// judges the server's role, so that a virtual server sends writers only to the primary (read_only off)
// or readers only to replicas whose replication runs. The whole check (connect, query, close) has one
// deadline.
import { readDbPassword } from "../../adapters/mariadb/password.js";
import { connect, type Sql } from "../../adapters/mariadb/sql.js";
import { deadline, elapsed, type CheckResult, type CheckTarget } from "./result.js";

/** What a mariadb check requires of the server. */
export type MariadbCheckRole = "primary" | "replica" | "any";

/** The options of one mariadb check. */
export interface MariadbCheckOptions {
  user: string;
  passwordFile: string;
  role: MariadbCheckRole;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Whether the server's answers fit `role`, and why (a few words). */
async function judge(sql: Sql, role: MariadbCheckRole, timeoutMs: number): Promise<{ ok: boolean; why: string }> {
  if (role === "any") {
    await sql.query("SELECT 1", [], timeoutMs);
    return { ok: true, why: "answers" };
  }
  const readOnly = Number(await sql.value("SELECT @@read_only", [], timeoutMs)) !== 0;
  if (role === "primary")
    return readOnly ? { ok: false, why: "read-only (not the primary)" } : { ok: true, why: "writable" };
  if (!readOnly) return { ok: false, why: "writable (a primary, not a replica)" };
  const status = (await sql.query("SHOW SLAVE STATUS", [], timeoutMs))[0];
  if (!status) return { ok: false, why: "read-only but not replicating (no replication configured)" };
  const io = String(status.Slave_IO_Running);
  const applier = String(status.Slave_SQL_Running);
  if (io !== "Yes" || applier !== "Yes")
    return { ok: false, why: `replication stopped (IO thread ${io}, SQL thread ${applier})` };
  return { ok: true, why: `replicating, ${String(status.Seconds_Behind_Master ?? "?")}s behind` };
}

/** Checks the server at `target`. Never throws. */
export function checkMariadb(target: CheckTarget, opts: MariadbCheckOptions): Promise<CheckResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    let sql: Sql | undefined;
    const finish = (ok: boolean, detail: string) => {
      if (done) return;
      done = true;
      cancelDeadline();
      opts.signal?.removeEventListener("abort", onAbort);
      void sql?.close();
      resolve({ ok, detail, latencyMs: elapsed(started) });
    };
    const onAbort = () => finish(false, "check cancelled");
    const cancelDeadline = deadline(opts.timeoutMs, () => finish(false, `timed out after ${opts.timeoutMs}ms`));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    let password: string;
    try {
      password = readDbPassword(opts.passwordFile);
    } catch (e) {
      return finish(false, (e as Error).message);
    }
    connect({ host: target.ip, port: target.port, user: opts.user, password }, opts.timeoutMs)
      .then(async (conn) => {
        sql = conn;
        if (done) return void conn.close();
        const { ok, why } = await judge(conn, opts.role, opts.timeoutMs);
        finish(ok, ok ? `${why} in ${Math.round(performance.now() - started)}ms` : why);
      })
      .catch((e: Error) => finish(false, e.message.replace(/^cannot connect to MariaDB at \S+: /, "")));
  });
}

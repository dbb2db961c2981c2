// Runs the configured kind of check against one real server.
import type { VirtualServerConfig } from "../../core/config/schema.js";
import { checkExec } from "./exec.js";
import { checkHttp } from "./http.js";
import { checkMariadb } from "./mariadb.js";
import type { CheckResult, CheckTarget } from "./result.js";
import { checkTcp } from "./tcp.js";

/** A virtual server's `check` section as parsed (defaults applied). */
export type CheckConfig = VirtualServerConfig["check"];

/** Checks the real server at `target` (its own address; `check.port` overrides the port). Never throws. */
export function runCheck(check: CheckConfig, target: CheckTarget, signal?: AbortSignal): Promise<CheckResult> {
  const to = { ip: target.ip, port: check.port ?? target.port };
  const base = { timeoutMs: check.timeout, ...(signal ? { signal } : {}) };
  switch (check.type) {
    case "tcp":
      return checkTcp(to, base);
    case "http":
    case "https":
      return checkHttp(to, {
        ...base,
        tls: check.type === "https",
        method: check.method ?? "GET",
        path: check.path ?? "/",
        ...(check.host !== undefined ? { host: check.host } : {}),
        expectStatus: typeof check.expect_status === "number" ? [check.expect_status] : (check.expect_status ?? [200]),
        ...(check.expect_body !== undefined ? { expectBody: check.expect_body } : {}),
        tlsVerify: check.tls_verify ?? true,
      });
    case "exec":
      if (check.script === undefined)
        return Promise.resolve({ ok: false, detail: "exec check without script", latencyMs: 0 });
      return checkExec(to, { ...base, script: check.script, args: check.args ?? [] });
    case "mariadb":
      if (check.user === undefined || check.password_file === undefined)
        return Promise.resolve({ ok: false, detail: "mariadb check without user or password_file", latencyMs: 0 });
      return checkMariadb(to, {
        ...base,
        user: check.user,
        passwordFile: check.password_file,
        role: check.role ?? "primary",
      });
  }
}

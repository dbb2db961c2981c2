// `vigil release-vips -c FILE`: removes from this host every configured VIP that is still present, and
// says what it removed. Meant for systemd's ExecStopPost (after the daemon is gone its lease guard may
// have been killed too); it touches only addresses of `vip` resources in the file, and refuses while a
// vigil daemon answers on the config's API address (it may own them), unless --force.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { loadConfigText } from "../adapters/config-file.js";
import type { OpResult } from "../adapters/resources/resource-agent.js";
import { hasAddress, removeAddress } from "../adapters/resources/vip.js";
import { describeResult, runCommand } from "../adapters/run-command.js";
import { configuredVips } from "../core/config/vips.js";

/** Whether a vigil daemon answers on `listen` (IP:PORT): its /status has the fields vigil's has. */
async function daemonAnswers(listen: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${listen}/status`, { signal: AbortSignal.timeout(500) });
    const body = (await res.json()) as { holds?: unknown; groups?: unknown };
    return Array.isArray(body.holds) && typeof body.groups === "object";
  } catch {
    return false;
  }
}

/** Runs the command; returns the exit code (1 when a removal failed or the file cannot be read). */
export async function releaseVipsCommand(file: string, opts: { force: boolean }): Promise<number> {
  let text: string;
  let raw: unknown;
  try {
    text = readFileSync(file, "utf8");
    raw = parse(text);
  } catch (err) {
    process.stderr.write(`vigil release-vips: cannot read ${file}: ${(err as Error).message.split("\n")[0]}\n`);
    return 1;
  }
  const valid = loadConfigText(text, file, { checkKeyFile: false });
  if (!valid.ok)
    process.stderr.write(
      `vigil release-vips: warning: ${file} has ${valid.issues.length} error(s) (see vigil check -c ${file}); releasing the VIPs that can still be read\n`,
    );
  const listen = valid.ok ? valid.config.api.listen : "127.0.0.1:7480";
  if (!opts.force && (await daemonAnswers(listen))) {
    process.stderr.write(
      `vigil release-vips: a vigil daemon answers on ${listen} and may own these VIPs; stop it first (or use --force)\n`,
    );
    return 1;
  }
  const { vips, skipped } = configuredVips(raw);
  for (const s of skipped) process.stderr.write(`vigil release-vips: ${s}\n`);
  const ip = await runCommand("ip", ["-V"], { timeoutMs: 5000 });
  if (vips.length > 0 && ip.code !== 0) {
    process.stderr.write(`vigil release-vips: cannot run ip (iproute2): ${describeResult(ip)}; no VIP was checked\n`);
    return 1;
  }
  let removed = 0;
  let failed = 0;
  for (const v of vips) {
    const check = await hasAddress(v.address, v.iface);
    if (check.state === "absent") continue;
    const r: OpResult =
      check.state === "unknown"
        ? {
            ok: false,
            detail: `${v.address} on ${v.iface} (group ${v.group}): could not check whether it is present (${check.why})`,
          }
        : await removeAddress(v.address, v.iface);
    if (r.ok) {
      removed++;
      process.stdout.write(`removed ${v.address} from ${v.iface} (group ${v.group})\n`);
    } else {
      failed++;
      process.stderr.write(`vigil release-vips: ${r.detail}${r.output ? `: ${r.output}` : ""}\n`);
    }
  }
  process.stdout.write(
    `${removed === 0 && failed === 0 ? `none of the ${vips.length} configured VIPs was present` : `released ${removed} of ${vips.length} configured VIPs${failed ? `; ${failed} could not be removed` : ""}`}\n`,
  );
  return failed > 0 ? 1 : 0;
}

// `vigil check` and start-up read `cluster.etcd`'s TLS files: each must be a readable file holding PEM
// data, and the private key must not be readable by others (like the cluster key, it is a secret).
import { readFileSync, statSync } from "node:fs";
import type { EtcdConfig } from "../../core/config/etcd-schema.js";
import type { ConfigIssue } from "../../core/config/issues.js";

/** Problems with the TLS files `e` names (none when it names none). */
export function checkEtcdFiles(e: EtcdConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const key of ["ca_file", "cert_file", "key_file"] as const) {
    const file = e[key];
    if (file === undefined) continue;
    const problem = fileProblem(file, key === "key_file");
    if (problem) issues.push({ code: "E_ETCD_FILE", path: ["cluster", "etcd", key], message: problem });
  }
  return issues;
}

function fileProblem(file: string, secret: boolean): string | undefined {
  try {
    const st = statSync(file);
    if (!st.isFile()) return `${file} is not a regular file`;
    if (secret && (st.mode & 0o004) !== 0)
      return `${file} is readable by everyone (mode ${(st.mode & 0o777).toString(8)}); a private key must not be (chmod 600)`;
    if (!readFileSync(file, "utf8").includes("-----BEGIN "))
      return `${file} holds no PEM data (expected -----BEGIN ...)`;
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? `${file}: file not found` : `cannot read ${file}: ${(err as Error).message}`;
  }
}

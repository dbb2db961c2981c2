// The database password file shared by the mariadb resource and the mariadb health check.
import { readSecretFile } from "../secret-file.js";

/** Reads the password file (first line, secret-file rules); throws a message naming the file. */
export function readDbPassword(file: string): string {
  const r = readSecretFile(file, {
    what: "the database password",
    minBytes: 8,
    howToMake: "head -c 24 /dev/urandom | base64 > FILE",
  });
  if (!r.ok) throw new Error(r.message);
  return r.secret.split("\n")[0] ?? "";
}

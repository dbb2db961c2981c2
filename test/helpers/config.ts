// Test helpers for configs: a temp dir with a real key file, and the shipped example pointed at it.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { newKeyText } from "../../src/adapters/keygen.js";

/** A temporary directory with a 0600 key file; call cleanup() when done. */
export function tempKeyDir(): { dir: string; keyFile: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "vigil-test-"));
  const keyFile = join(dir, "cluster.key");
  writeFileSync(keyFile, newKeyText(), { mode: 0o600 });
  return { dir, keyFile, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The shipped example config with its key_file replaced, and its token_file replaced by a 0600 token
 * file beside the key (made if missing). */
export function exampleWithKey(keyFile: string): string {
  const text = readFileSync(new URL("../../examples/vigil.example.yaml", import.meta.url), "utf8");
  const tokenFile = join(dirname(keyFile), "api.token");
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, "example-token-0123456789\n", { mode: 0o600 });
  return text.replace("/etc/vigil/cluster.key", keyFile).replace("/etc/vigil/api.token", tokenFile);
}

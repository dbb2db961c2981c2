// Makes cluster keys: 32 random bytes written as 64 hex characters.
import { randomBytes } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";

/** Returns a new key as text (64 hex characters and a newline). */
export function newKeyText(): string {
  return `${randomBytes(32).toString("hex")}\n`;
}

/** Writes a new key to `file` with mode 0600, refusing to overwrite an existing file. */
export function writeKeyFile(file: string): void {
  writeFileSync(file, newKeyText(), { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
}

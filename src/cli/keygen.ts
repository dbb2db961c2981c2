// `vigil keygen [-o FILE]`: a new cluster key.
import { newKeyText, writeKeyFile } from "../adapters/keygen.js";

/** Writes a key to stdout or to a new 0600 file; returns the exit code. */
export function keygenCommand(output: string | undefined): number {
  if (output === undefined) {
    if (process.stdout.isTTY)
      process.stderr.write(
        "vigil keygen: writing the key to a terminal; redirect it (> FILE, then chmod 600 FILE) or use -o FILE\n",
      );
    process.stdout.write(newKeyText());
    return 0;
  }
  try {
    writeKeyFile(output);
    process.stderr.write(`vigil keygen: wrote ${output} (mode 0600)\n`);
    return 0;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "EEXIST" ? "already exists; refusing to overwrite a cluster key" : (err as Error).message;
    process.stderr.write(`vigil keygen: ${output} ${why}\n`);
    return 1;
  }
}

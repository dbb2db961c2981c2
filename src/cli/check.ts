// `vigil check -c FILE`: every problem at once with its location, or a one-screen summary.
import { formatIssue, loadConfigFile } from "../adapters/config-file.js";
import { summarize } from "../core/config/summary.js";

/** Runs the check and returns the exit code: 0 valid, 1 invalid. */
export function checkCommand(file: string, options: { checkKeyFile: boolean }): number {
  const result = loadConfigFile(file, options);
  if (!result.ok) {
    for (const issue of result.issues) process.stderr.write(`${formatIssue(issue)}\n`);
    process.stderr.write(`${file}: ${result.issues.length} error${result.issues.length === 1 ? "" : "s"}\n`);
    return 1;
  }
  process.stdout.write(`${summarize(result.config, file).join("\n")}\n`);
  return 0;
}

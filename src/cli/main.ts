#!/usr/bin/env node
// The vigil command line: one entry point, subcommands built with commander.
import { Command } from "commander";
import { checkCommand } from "./check.js";
import { keygenCommand } from "./keygen.js";

const program = new Command()
  .name("vigil")
  .description("High-availability daemon and CLI: virtual IPs, resource groups, quorum and TCP balancing")
  .version("0.1.0");

program
  .command("check")
  .description("validate a config file and print a summary (exit 1 with located errors)")
  .requiredOption("-c, --config <file>", "config file")
  .option("--no-key-file", "skip checking the key file (for checking a config on another machine)")
  .action((opts: { config: string; keyFile: boolean }) => {
    process.exitCode = checkCommand(opts.config, { checkKeyFile: opts.keyFile });
  });

program
  .command("keygen")
  .description("write a new random cluster key to stdout, or to a new file with mode 0600")
  .option("-o, --output <file>", "write to this file (must not exist) with mode 0600")
  .action((opts: { output?: string }) => {
    process.exitCode = keygenCommand(opts.output);
  });

await program.parseAsync(process.argv);

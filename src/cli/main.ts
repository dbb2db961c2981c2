#!/usr/bin/env node
// The vigil command line: one entry point, subcommands built with commander.
import { Command } from "commander";
import { addAdminCommands } from "./admin-commands.js";
import { checkCommand } from "./check.js";
import { addImportCommands } from "./import.js";
import { keygenCommand } from "./keygen.js";
import { releaseVipsCommand } from "./release-vips.js";
import { runCommand } from "./run.js";
import { runDemo } from "../demo/demo.js";

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

program
  .command("run")
  .description(
    "run the daemon for one node of the cluster (SIGHUP reloads the config; SIGTERM hands its groups over, then exits)",
  )
  .requiredOption("-c, --config <file>", "config file")
  .option("--node <name>", "which configured node this is (default: the one whose address is on this host)")
  .option("--api <ip:port>", "listen address of the API, overriding api.listen (several nodes on one host)")
  .action(async (opts: { config: string; node?: string; api?: string }) => {
    process.exitCode = await runCommand({ configFile: opts.config, node: opts.node, api: opts.api });
  });

program
  .command("demo")
  .description("run a three-node demo cluster on loopback (no root needed) and watch failovers; Ctrl-C stops it")
  .option(
    "--base-port <port>",
    "first port: web pages on PORT..PORT+2, cluster on PORT+10.., the site on PORT+600",
    "7480",
  )
  .option("--log <file>", "also write the full log (every change and decision, one line each) to this file")
  .option(
    "--db",
    "a promotable MariaDB instead of the web group: three mariadbd on 127.0.0.11-13, a writer through virtual server sql",
  )
  .option(
    "--timers <interval/lease>",
    "heartbeat interval and lease (longer ones stay calm on a busy machine)",
    "25ms/150ms",
  )
  .action(async (opts: { basePort: string; log?: string; timers: string; db?: boolean }) => {
    const base = Number(opts.basePort);
    if (!Number.isInteger(base) || base < 1024 || base > 64000) {
      process.stderr.write(`vigil demo: --base-port ${opts.basePort}: expected a whole number from 1024 to 64000\n`);
      process.exitCode = 2;
      return;
    }
    const [interval = "", lease = ""] = opts.timers.split("/");
    const durations = /^\d+(\.\d+)?(ms|s)$/;
    if (!durations.test(interval) || !durations.test(lease)) {
      process.stderr.write(`vigil demo: --timers ${opts.timers}: expected INTERVAL/LEASE such as 25ms/150ms\n`);
      process.exitCode = 2;
      return;
    }
    process.exitCode = await runDemo(base, undefined, { log: opts.log, timers: { interval, lease }, db: opts.db });
  });

program
  .command("release-vips")
  .description(
    "remove every configured VIP still present on this host (systemd ExecStopPost; refused while a daemon answers)",
  )
  .requiredOption("-c, --config <file>", "config file")
  .option("--force", "remove them even though a vigil daemon answers on the API address")
  .action(async (opts: { config: string; force?: boolean }) => {
    process.exitCode = await releaseVipsCommand(opts.config, { force: opts.force === true });
  });

addAdminCommands(program);
addImportCommands(program);

await program.parseAsync(process.argv);

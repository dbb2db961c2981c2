// `vigil import keepalived|heartbeat|ldirectord`: prints a vigil.yaml made from an existing setup.
import type { Command } from "commander";
import { formatIssue } from "../adapters/config-file.js";
import { formatImportError, ImportError, type ImportResult } from "../core/import/types.js";
import {
  type CommonImportOptions,
  importHeartbeatFiles,
  importKeepalivedFiles,
  importLdirectordFile,
  renderAndCheck,
} from "../import/run-import.js";

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Parses repeated NAME=VALUE options into a map; throws a usage error naming the option. */
function pairs(option: string, values: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0 || eq === v.length - 1) throw new ImportError("E_IMPORT_ARGS", `${option} ${v}: expected NAME=VALUE`);
    const name = v.slice(0, eq);
    if (out.has(name)) throw new ImportError("E_IMPORT_ARGS", `${option}: ${name} is given twice`);
    out.set(name, v.slice(eq + 1));
  }
  return out;
}

interface CommonOpts {
  address: string[];
  name?: string;
  keyFile?: string;
}

function common(opts: CommonOpts): CommonImportOptions {
  return { addresses: pairs("--address", opts.address), clusterName: opts.name, keyFile: opts.keyFile };
}

function withCommon(cmd: Command): Command {
  return cmd
    .option("--address <name=ip>", "a node's address when the files do not give it (repeatable)", collect, [])
    .option("--name <cluster>", "cluster name")
    .option("--key-file <path>", "cluster key path written into the config", "/etc/vigil/cluster.key");
}

/** Prints the result and a one-line summary; exit 1 when the import failed or its output does not check. */
function emit(make: () => ImportResult): number {
  let result: ImportResult;
  try {
    result = make();
  } catch (err) {
    if (!(err instanceof ImportError)) throw err;
    process.stderr.write(`vigil import: ${formatImportError(err)}\n`);
    return err.code === "E_IMPORT_ARGS" ? 2 : 1;
  }
  const { text, issues } = renderAndCheck(result);
  process.stdout.write(text);
  const groups = (result.config.groups as unknown[] | undefined)?.length ?? 0;
  const servers = (result.config.virtual_servers as unknown[] | undefined)?.length ?? 0;
  process.stderr.write(
    `vigil import: ${groups} group${groups === 1 ? "" : "s"}, ${servers} virtual server${servers === 1 ? "" : "s"}; ` +
      (result.notes.length === 0
        ? "nothing left out\n"
        : `${result.notes.length} item${result.notes.length === 1 ? "" : "s"} not imported (listed at the end of the output)\n`),
  );
  for (const i of issues) process.stderr.write(`${formatIssue(i)}\n`);
  if (issues.length > 0)
    process.stderr.write("vigil import: the output does not pass vigil check yet; fix the lines above\n");
  return issues.length > 0 ? 1 : 0;
}

/** Adds `vigil import` and its subcommands. */
export function addImportCommands(program: Command): void {
  const imp = program
    .command("import")
    .description("print a vigil.yaml made from keepalived, heartbeat or ldirectord configuration (nothing is changed)");
  withCommon(
    imp
      .command("keepalived")
      .description("import keepalived.conf files, one per node (they differ in state, priority and source address)")
      .requiredOption("--node <name=path>", "a node and its keepalived.conf (repeat for each node)", collect, []),
  ).action((opts: CommonOpts & { node: string[] }) => {
    process.exitCode = emit(() => {
      const nodes = pairs("--node", opts.node);
      if (nodes.size === 0) throw new ImportError("E_IMPORT_ARGS", "give at least one --node NAME=PATH");
      return importKeepalivedFiles(nodes, common(opts));
    });
  });
  withCommon(
    imp
      .command("heartbeat")
      .description("import heartbeat's ha.cf, haresources and authkeys (the secret is never copied)")
      .option("--dir <dir>", "directory holding ha.cf, haresources and authkeys (default /etc/ha.d)")
      .option("--ha-cf <path>", "ha.cf")
      .option("--haresources <path>", "haresources")
      .option("--authkeys <path>", "authkeys (read only to check its form)")
      .option("--interface <name>", "interface for haresources addresses that name none", "eth0"),
  ).action(
    (
      opts: CommonOpts & { dir?: string; haCf?: string; haresources?: string; authkeys?: string; interface: string },
    ) => {
      process.exitCode = emit(() => importHeartbeatFiles(opts, common(opts)));
    },
  );
  withCommon(
    imp
      .command("ldirectord")
      .description("import ldirectord.cf; --address NAME=IP names the directors (the cluster's nodes)")
      .argument("<path>", "ldirectord.cf"),
  ).action((path: string, opts: CommonOpts) => {
    process.exitCode = emit(() => importLdirectordFile(path, common(opts)));
  });
}

// The operator commands of the CLI: status, standby, online, move, cleanup, maintenance.
import type { Command } from "commander";
import type { WorkerStatus } from "../daemon/worker-protocol.js";
import type { HistoryView } from "../core/history/types.js";
import { apiTarget, callApi, CliError, type ApiTarget } from "./api-client.js";
import { writeReport } from "./report.js";
import { Screen } from "./screen.js";
import { watchFacts, watchScreen } from "./status-watch.js";
import { renderExplain } from "./db-view.js";
import { renderStatus } from "./status-view.js";

interface ApiOpts {
  config?: string;
  api?: string;
  tokenFile?: string;
}

function withApi(cmd: Command): Command {
  return cmd
    .option("-c, --config <file>", "config file (for api.listen and api.token_file)")
    .option("--api <ip:port>", "API address (default: api.listen, or 127.0.0.1:7480)")
    .option("--token-file <file>", "file holding the API token (default: api.token_file)");
}

async function run(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    process.stderr.write(`vigil: ${err.message}\n`);
    process.exitCode = 1;
  }
}

function post(opts: ApiOpts, path: string): Promise<void> {
  return run(async () => {
    const r = (await callApi(apiTarget(opts), "POST", path)) as { message?: string };
    process.stdout.write(`${r.message ?? "done"}\n`);
  });
}

/** `vigil status --watch`: redraws until Ctrl-C (an unreachable API is shown, and retried). */
async function watchStatus(t: ApiTarget): Promise<void> {
  const screen = new Screen(process.stdout);
  process.once("SIGINT", () => {
    screen.end();
    process.exit(0);
  });
  for (;;) {
    try {
      const s = (await callApi(t, "GET", "/status")) as Parameters<typeof watchScreen>[0];
      const h = (await callApi(t, "GET", "/history").catch(() => undefined)) as HistoryView | undefined;
      if (screen.tty) screen.draw(watchScreen(s, h, process.stdout.columns ?? 120));
      else screen.changes(new Date().toISOString(), watchFacts(s, h));
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      const line = `cannot reach the API (${err.message}); retrying every second`;
      if (screen.tty) screen.draw([line]);
      else screen.changes(new Date().toISOString(), [line]);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Adds the operator commands to the program. */
export function addAdminCommands(program: Command): void {
  withApi(program.command("status").description("show the cluster as this node sees it"))
    .option("--json", "print the raw status as JSON")
    .option(
      "--watch",
      "redraw one screen every second until Ctrl-C (status, a timeline per group, last decisions); without a terminal, print what changes, one line each",
    )
    .action((opts: ApiOpts & { json?: boolean; watch?: boolean }) =>
      run(async () => {
        const t = apiTarget(opts);
        if (opts.watch && !opts.json) return watchStatus(t);
        const s = (await callApi(t, "GET", "/status")) as WorkerStatus;
        process.stdout.write(`${opts.json ? JSON.stringify(s, null, 2) : renderStatus(s).join("\n")}\n`);
      }),
    );
  withApi(
    program
      .command("report")
      .description("write one self-contained HTML file with the timeline and charts of the node's history window"),
  )
    .option("-o, --output <file>", "where to write it", "vigil-report.html")
    .action((opts: ApiOpts & { output: string }) =>
      run(async () => {
        const t = apiTarget(opts);
        const s = (await callApi(t, "GET", "/status")) as WorkerStatus;
        const h = (await callApi(t, "GET", "/history")) as HistoryView;
        writeReport(opts.output, h, s);
        const gaps = Object.values(h.groups).reduce((n, g) => n + g.gaps.length, 0);
        process.stdout.write(
          `wrote ${opts.output}: ${h.node}'s last ${Math.round(h.windowMs / 1000)}s, ${Object.keys(h.groups).length} groups, ${h.decisions.length} decisions, ${gaps} gaps without a server\n`,
        );
      }),
    );
  withApi(program.command("events").description("recent decisions of this node, oldest first"))
    .option("-n, --lines <n>", "how many", "50")
    .action((opts: ApiOpts & { lines: string }) =>
      run(async () => {
        const events = (await callApi(apiTarget(opts), "GET", "/events")) as {
          at: number;
          node: string;
          text: string;
        }[];
        for (const e of events.slice(-Number(opts.lines)))
          process.stdout.write(`${new Date(e.at).toISOString()}  ${e.node}  ${e.text}\n`);
      }),
    );
  withApi(program.command("standby <node>").description("move every group off a node and keep them off")).action(
    (node: string, opts: ApiOpts) => post(opts, `/nodes/${encodeURIComponent(node)}/standby`),
  );
  withApi(program.command("online <node>").description("let a node in standby run groups again")).action(
    (node: string, opts: ApiOpts) => post(opts, `/nodes/${encodeURIComponent(node)}/online`),
  );
  withApi(
    program
      .command("move <group> <node>")
      .description("move a group to a node (stopped there first, then started on the node)"),
  ).action((group: string, node: string, opts: ApiOpts) =>
    post(opts, `/groups/${encodeURIComponent(group)}/move?node=${encodeURIComponent(node)}`),
  );
  withApi(program.command("cleanup <group>").description("forget a group's failures on every node")).action(
    (group: string, opts: ApiOpts) => post(opts, `/groups/${encodeURIComponent(group)}/cleanup`),
  );
  const db = program.command("db").description("database groups (type: mariadb)");
  withApi(
    db
      .command("force <group>")
      .description(
        "promote the replica whose promotion waits on this node for replicas that cannot be heard (they may hold the newest acknowledged commit: accept that loss); never past divergence",
      ),
  ).action((group: string, opts: ApiOpts) => post(opts, `/db/${encodeURIComponent(group)}/force`));
  withApi(
    db
      .command("explain <group>")
      .description("who would be promoted now, why, and whether that promotion would lose nothing"),
  )
    .option("--json", "print the answer as JSON")
    .action((group: string, opts: ApiOpts & { json?: boolean }) =>
      run(async () => {
        const e = (await callApi(apiTarget(opts), "GET", `/db/${encodeURIComponent(group)}/explain`)) as {
          lines: string[];
        };
        process.stdout.write(opts.json ? `${JSON.stringify(e, null, 2)}\n` : `${renderExplain(e).join("\n")}\n`);
      }),
    );
  withApi(
    program.command("maintenance <on|off>").description("stop or resume touching resources, cluster-wide"),
  ).action((mode: string, opts: ApiOpts) => {
    if (mode !== "on" && mode !== "off") {
      process.stderr.write("vigil: maintenance takes on or off\n");
      process.exitCode = 1;
      return;
    }
    return post(opts, `/maintenance/${mode}`);
  });
}

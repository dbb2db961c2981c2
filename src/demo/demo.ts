// `vigil demo`: a three-node cluster on loopback, without root. A group "web" (a role script plus the
// listener of virtual server "site") prefers n1; "site" balances over three small app servers. The
// terminal shows who leads, who serves and who answers, with the nodes' decisions; keys (or typed
// commands when stdin is not a terminal) kill and restart nodes and app servers. Ctrl-C stops all.
// With --db, the group is "db", a promotable MariaDB (see db-demo.ts), and a writer inserts through
// virtual server "sql"; a key kills the primary's mariadbd, and the end counts the acknowledged rows.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createSocket } from "node:dgram";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newKeyText } from "../adapters/keygen.js";
import type { HistoryView } from "../core/history/types.js";
import { Screen } from "../cli/screen.js";
import { textTimeline, timelineLegend } from "../cli/text-timeline.js";
import { dbHost, dbPid, dbPort, demoDbConfig, DemoWriter, sqlPort, stopReplicas, writeDbFiles } from "./db-demo.js";
import { demoConfig, demoPorts, type DemoPorts, type DemoTimers } from "./demo-config.js";

const MAIN = new URL("../cli/main.js", import.meta.url).pathname;
const APP = new URL("./app-server.js", import.meta.url).pathname;
const ROLE = new URL("../../examples/demo/role.sh", import.meta.url).pathname;
const NODES = ["n1", "n2", "n3"];
const APPS = ["app-1", "app-2", "app-3"];

interface NodeView {
  name: string;
  isLeader: boolean;
  term: number;
  groups: Record<string, string>;
  holds: string[];
  virtual_servers?: { serving: boolean; realServers: { address: string; up: boolean }[] }[];
}

/** GETs a loopback URL; resolves with the body, or undefined on any failure or after `ms`. */
function get(port: number, path: string, ms = 400): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, timeout: ms, agent: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve(res.statusCode === 200 ? body : undefined));
      res.on("error", () => resolve(undefined));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

/** The running demo. */
class Demo {
  private nodes = new Map<string, ChildProcess>();
  private apps = new Map<string, ChildProcess>();
  private logOffsets = new Map<string, number>();
  private lastLine = "";
  private lastLineAt = 0;
  private t0 = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** The last decisions and log lines, for the fixed screen. */
  private decisions: string[] = [];
  private recent: string[] = [];
  /** The lines above the live part of the fixed screen (addresses, token, keys). */
  header: string[] = [];
  /** The group the demo watches: "web", or "db" with --db. */
  private group: string;

  constructor(
    private dir: string,
    private ports: DemoPorts,
    private configFile: string,
    private print: (line: string) => void,
    private screen: Screen | undefined,
    private logFile: string | undefined,
    /** With --db: the writer inserting through virtual server "sql". */
    readonly writer?: DemoWriter,
  ) {
    this.group = writer ? "db" : "web";
  }

  /** One line of the full log: printed (no terminal) or kept for the screen, and appended to --log. */
  private out(line: string): void {
    if (this.logFile) appendFileSync(this.logFile, `${line}\n`);
    if (!this.screen) return this.print(line);
    this.recent = [...this.recent, line].slice(-4);
  }

  private stamp(): string {
    return `${((Date.now() - this.t0) / 1000).toFixed(2).padStart(7)}s`;
  }

  private static running(c: ChildProcess | undefined): boolean {
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  startNode(name: string): void {
    if (Demo.running(this.nodes.get(name))) return this.out(`${name} is already running`);
    const i = NODES.indexOf(name);
    const log = openSync(join(this.dir, `${name}.log`), "a");
    const child = spawn(
      process.execPath,
      [MAIN, "run", "-c", this.configFile, "--node", name, "--api", `127.0.0.1:${this.ports.api + i}`],
      { stdio: ["ignore", "ignore", log] },
    );
    closeSync(log);
    this.nodes.set(name, child);
    child.once("exit", (code, signal) => {
      if (signal !== "SIGKILL" && !this.stopping)
        this.out(
          `${this.stamp()}  ${name} exited (${signal ?? `code ${code}`}); its log: ${join(this.dir, `${name}.log`)}`,
        );
    });
    this.out(`${this.stamp()}  started ${name} (pid ${child.pid})`);
  }

  killNode(name: string): void {
    const child = this.nodes.get(name);
    if (!child || !Demo.running(child)) return this.out(`${name} is not running`);
    child.kill("SIGKILL");
    this.out(`${this.stamp()}  killed ${name} (SIGKILL, pid ${child.pid})`);
  }

  startApp(name: string): void {
    if (Demo.running(this.apps.get(name))) return this.out(`${name} is already running`);
    const child = spawn(process.execPath, [APP, String(this.ports.app + APPS.indexOf(name)), name], {
      stdio: "ignore",
    });
    this.apps.set(name, child);
    this.out(`${this.stamp()}  started ${name} on 127.0.0.1:${this.ports.app + APPS.indexOf(name)} (pid ${child.pid})`);
  }

  stopApp(name: string): void {
    const child = this.apps.get(name);
    if (!child || !Demo.running(child)) return this.out(`${name} is not running`);
    child.kill("SIGKILL");
    this.out(`${this.stamp()}  stopped ${name}`);
  }

  /** SIGKILLs the mariadbd of the node running group db (the primary). */
  killPrimaryDb(owner: string | undefined): void {
    const pid = owner ? dbPid(this.dir, owner) : undefined;
    if (!owner || pid === undefined) return this.out("no primary mariadbd runs right now");
    try {
      process.kill(pid, "SIGKILL");
      this.out(`${this.stamp()}  killed ${owner}'s mariadbd, the primary (SIGKILL, pid ${pid})`);
    } catch (e) {
      this.out(`could not kill ${owner}'s mariadbd (pid ${pid}): ${(e as Error).message}`);
    }
  }

  /** The node that runs the watched group with its lease, as last seen. */
  owner: string | undefined;

  toggleNode(name: string): void {
    if (Demo.running(this.nodes.get(name))) this.killNode(name);
    else this.startNode(name);
  }

  toggleApp(name: string): void {
    if (Demo.running(this.apps.get(name))) this.stopApp(name);
    else this.startApp(name);
  }

  /** Polls the nodes and the site four times a second; prints a line when the picture changes. */
  watch(): void {
    const tick = async () => {
      const views = await Promise.all(
        NODES.map(async (n, i) => {
          const body = await get(this.ports.api + i, "/status");
          return body ? (JSON.parse(body) as NodeView) : undefined;
        }),
      );
      const answer = this.writer ? this.writerLine() : await get(this.ports.site, "/");
      this.printDecisions();
      const alive = NODES.filter((_, i) => views[i] !== undefined);
      const leader = views.find((v) => v?.isLeader);
      const owner = views.find((v) => v && v.groups[this.group] === "running" && v.holds.includes(this.group));
      this.owner = owner?.name;
      const serving = views.filter((v) => v?.virtual_servers?.[0]?.serving).map((v) => v?.name);
      const health = (owner ?? views.find((v) => v))?.virtual_servers?.[0]?.realServers
        .map(
          (r, i) =>
            `${this.writer ? NODES[i] : APPS[i]} ${r.up ? (this.writer ? "writable" : "up") : this.writer ? "read-only/down" : "DOWN"}`,
        )
        .join(", ");
      const vs = this.writer ? "sql" : "site";
      const said = this.writer
        ? this.writerState()
        : answer
          ? `answered by ${answer.trim().replace("hello from ", "")}`
          : "no answer";
      const line = `up: ${alive.join(" ") || "none"} | leader: ${leader ? `${leader.name} (term ${leader.term})` : "none"} | ${this.group} on: ${owner?.name ?? "none"} | ${vs} served by: ${serving.join(" ") || "none"} | ${said}${health ? ` | ${health}` : ""}`;
      if (line !== this.lastLine || (this.writer && Date.now() - this.lastLineAt >= 5000)) {
        this.out(`${this.stamp()}  ${line}${this.writer ? ` | ${answer}` : ""}`);
        this.lastLineAt = Date.now();
      }
      this.lastLine = line;
      if (this.screen && !this.stopping) {
        const from = owner ?? leader ?? views.find((v) => v);
        const body = from ? await get(this.ports.api + NODES.indexOf(from.name), "/history", 1000) : undefined;
        const history = body ? (JSON.parse(body) as HistoryView) : undefined;
        this.screen.draw(
          this.screenLines(views, {
            leader,
            owner,
            serving,
            answer,
            health,
            history,
            cols: process.stdout.columns ?? 120,
          }),
        );
      }
      if (!this.stopping) this.timer = setTimeout(() => void tick(), 250);
    };
    void tick();
  }

  /** The fixed screen: addresses and keys, nodes, the group and the site, a text timeline, the last
   * decisions and log lines. */
  private screenLines(
    views: (NodeView | undefined)[],
    o: {
      leader: NodeView | undefined;
      owner: NodeView | undefined;
      serving: (string | undefined)[];
      answer: string | undefined;
      health: string | undefined;
      history: HistoryView | undefined;
      cols: number;
    },
  ): string[] {
    const nodes = NODES.map((n, i) => {
      const v = views[i];
      const child = this.nodes.get(n);
      if (child && !Demo.running(child))
        return `${n} DOWN (${child.signalCode === "SIGKILL" ? "killed" : `exited ${child.exitCode ?? child.signalCode}`})`;
      if (!v) return `${n} not answering`;
      return `${n} up${v.isLeader ? ` ★ leader (term ${v.term})` : ""}`;
    });
    const lines = [
      `vigil demo · ${this.stamp().trim()} · ${new Date().toLocaleTimeString()}`,
      ...this.header,
      "",
      `nodes:   ${nodes.join("    ")}`,
      `group:   ${this.group} ${o.owner ? `running on ${o.owner.name}${this.writer ? " (primary)" : ""}` : "NOT RUNNING"}`,
      this.writer
        ? `sql:     ${o.serving.length ? `served by ${o.serving.join(" ")}` : "NOT SERVED"}${o.health ? ` · ${o.health}` : ""}`
        : `site:    ${o.serving.length ? `served by ${o.serving.join(" ")}` : "NOT SERVED"} · ${o.answer ? `answered by ${o.answer.trim().replace("hello from ", "")}` : "NO ANSWER"}${o.health ? ` · ${o.health}` : ""}`,
      ...(this.writer ? [`writer:  ${o.answer ?? ""} · ${this.writerState()}`] : []),
      "",
    ];
    if (o.history) {
      lines.push(`${timelineLegend(60_000)} as ${o.history.node} saw it`);
      lines.push(...textTimeline(o.history, 60_000, Math.max(20, o.cols - 22)));
    } else lines.push("timeline: no node answers");
    lines.push("", "last decisions:", ...this.decisions.map((d) => `  ${d}`));
    lines.push("", `log${this.logFile ? ` (all of it in ${this.logFile})` : " (--log FILE keeps all of it)"}:`);
    lines.push(...this.recent.map((l) => `  ${l}`));
    return lines;
  }

  /** Whether the writer is writing, or what its last attempt failed with (a change prints a line). */
  private writerState(): string {
    const failing = this.writer?.counts().failing;
    return failing ? `writer failing: ${failing}` : "writer writing";
  }

  /** The writer's progress in one line. */
  private writerLine(): string {
    const c = this.writer?.counts();
    if (!c) return "";
    return `${c.acked} rows acknowledged, ${c.unknown} unknown, longest gap ${c.longestGapMs}ms`;
  }

  /** Prints the decision lines the nodes logged since the last call. */
  private printDecisions(): void {
    for (const n of NODES) {
      const file = join(this.dir, `${n}.log`);
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        continue;
      }
      const from = this.logOffsets.get(n) ?? 0;
      if (size <= from) continue;
      const buf = Buffer.alloc(size - from);
      const fd = openSync(file, "r");
      readSync(fd, buf, 0, buf.length, from);
      closeSync(fd);
      const text = buf.toString();
      const complete = text.lastIndexOf("\n") + 1;
      this.logOffsets.set(n, from + Buffer.byteLength(text.slice(0, complete)));
      for (const raw of text.slice(0, complete).split("\n")) {
        if (!raw.includes('"decision":true') && !/ (down|up): /.test(raw)) continue;
        try {
          const line = `${this.stamp()}    [${n}] ${(JSON.parse(raw) as { msg: string }).msg}`;
          this.out(line);
          this.decisions = [...this.decisions, line.trim()].slice(-8);
        } catch {
          /* a partial line */
        }
      }
    }
  }

  /** Stops everything it started: nodes get SIGTERM (they hand over and leave), stragglers SIGKILL. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.screen?.end();
    const all = [...this.nodes.values(), ...this.apps.values()].filter((c) => Demo.running(c));
    await Promise.all(
      all.map(
        (c) =>
          new Promise<void>((resolve) => {
            const force = setTimeout(() => c.kill("SIGKILL"), 5000);
            c.once("exit", () => {
              clearTimeout(force);
              resolve();
            });
            c.kill("SIGTERM");
          }),
      ),
    );
    if (this.writer) await stopReplicas(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Carries out a typed command; false for "quit". */
  command(text: string): boolean {
    const [verb, what = ""] = text.trim().split(/\s+/);
    if (verb === "quit" || verb === "q") return false;
    if (verb === "kill" && NODES.includes(what)) this.killNode(what);
    else if (verb === "kill" && what === "primary" && this.writer) this.killPrimaryDb(this.owner);
    else if (verb === "start" && NODES.includes(what)) this.startNode(what);
    else if (verb === "stop" && APPS.includes(what)) this.stopApp(what);
    else if (verb === "start" && APPS.includes(what)) this.startApp(what);
    else if (verb)
      this.out(
        this.writer
          ? "commands: kill NODE | start NODE | kill primary | quit   (NODE n1-n3)"
          : "commands: kill NODE | start NODE | stop APP | start APP | quit   (NODE n1-n3, APP app-1..app-3)",
      );
    return true;
  }
}

/** The first of the demo's ports that something else already uses, if any. */
async function busyPort(p: DemoPorts, db: boolean): Promise<string | undefined> {
  const host = (i: number) => (db ? dbHost(i) : "127.0.0.1");
  const tcp: [string, number][] = [0, 1, 2].flatMap((i): [string, number][] => [
    ["127.0.0.1", p.api + i],
    db ? [dbHost(i), dbPort(p)] : ["127.0.0.1", p.app + i],
  ]);
  tcp.push(["127.0.0.1", db ? sqlPort(p) : p.site]);
  for (const [ip, port] of tcp) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer().once("error", () => resolve(false));
      s.listen(port, ip, () => s.close(() => resolve(true)));
    });
    if (!free) return `TCP ${ip}:${port}`;
  }
  for (const i of [0, 1, 2]) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createSocket("udp4").once("error", () => resolve(false));
      s.bind(p.cluster + i, host(i), () => s.close(() => resolve(true)));
    });
    if (!free) return `UDP ${host(i)}:${p.cluster + i}`;
  }
  return undefined;
}

/** Runs the demo until Ctrl-C (or "quit"); resolves with the exit code. */
export async function runDemo(
  basePort: number,
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  opts: { log?: string; timers?: DemoTimers; db?: boolean } = {},
): Promise<number> {
  const ports = demoPorts(basePort);
  const db = opts.db === true;
  const busy = await busyPort(ports, db);
  if (busy) {
    process.stderr.write(
      `vigil demo: ${busy} is already in use; choose other ports with --base-port (now ${basePort})\n`,
    );
    return 1;
  }
  const dir = mkdtempSync(join(tmpdir(), "vigil-demo-"));
  writeFileSync(join(dir, "cluster.key"), newKeyText(), { mode: 0o600 });
  const token = randomBytes(12).toString("hex");
  writeFileSync(join(dir, "api.token"), `${token}\n`, { mode: 0o600 });
  const configFile = join(dir, "vigil.yaml");
  const timers = opts.timers ?? { interval: "25ms", lease: "150ms" };
  const password = randomBytes(18).toString("base64");
  if (db) writeDbFiles(dir, password);
  writeFileSync(configFile, db ? demoDbConfig(dir, ports, timers) : demoConfig(dir, ROLE, ports, timers));
  const screen = process.stdout.isTTY && process.stdin.isTTY ? new Screen(process.stdout) : undefined;
  if (opts.log) writeFileSync(opts.log, "");
  const writer = db ? new DemoWriter(sqlPort(ports), password) : undefined;
  const demo = new Demo(dir, ports, configFile, out, screen, opts.log, writer);
  const header = [
    `vigil demo${db ? " --db" : ""}: three nodes on loopback, files in ${dir}`,
    `  web pages:  ${NODES.map((n, i) => `${n} http://127.0.0.1:${ports.api + i}/`).join("   ")}`,
    `  API token:  ${token}   (the page asks for it once, for its buttons)`,
    db
      ? `  the SQL:    MYSQL_PWD=$(cat ${dir}/db.password) mariadb -h 127.0.0.1 -P ${sqlPort(ports)} -u vigil demo   (virtual server "sql" → the primary)`
      : `  the site:   curl http://127.0.0.1:${ports.site}/   (virtual server "site", served by the owner of group "web")`,
    db
      ? `  keys: 1 2 3 kill/restart node n1 n2 n3 · k SIGKILL the primary's mariadbd · q or Ctrl-C quits (and counts the rows)`
      : `  keys: 1 2 3 kill/restart node n1 n2 n3 · a b c stop/start app-1..3 · q or Ctrl-C quits`,
  ];
  const typed = db
    ? `  (without a terminal, type: kill n1 | start n1 | kill primary | quit)`
    : `  (without a terminal, type: kill n1 | start n1 | stop app-2 | start app-2 | quit)`;
  if (screen) demo.header = header.slice(1);
  else for (const l of [...header, typed]) out(l);
  if (opts.log) for (const l of header) appendFileSync(opts.log, `${l}\n`);
  if (!db) for (const a of APPS) demo.startApp(a);
  for (const n of NODES) demo.startNode(n);
  demo.watch();
  writer?.start();
  return new Promise((resolve) => {
    let finishing = false;
    const finish = () => {
      if (finishing) return;
      finishing = true;
      screen?.end();
      out("stopping the demo…");
      void (async () => {
        if (writer) {
          await writer.stop();
          const audit = await writer.audit();
          out(audit);
          if (opts.log) appendFileSync(opts.log, `${audit}\n`);
        }
        await demo.stop();
        out("demo stopped; nothing left running");
        process.stdin.destroy();
        resolve(0);
      })();
    };
    process.once("SIGINT", finish);
    process.once("SIGTERM", finish);
    const stdin = process.stdin;
    if (stdin.isTTY) {
      stdin.setRawMode(true);
      stdin.on("data", (d: Buffer) => {
        const k = d.toString();
        if (k === "q" || k === "\u0003") {
          stdin.setRawMode(false);
          stdin.pause();
          return finish();
        }
        const node = { "1": "n1", "2": "n2", "3": "n3" }[k];
        const app = db ? undefined : { a: "app-1", b: "app-2", c: "app-3" }[k];
        if (node) demo.toggleNode(node);
        if (app) demo.toggleApp(app);
        if (db && k === "k") demo.killPrimaryDb(demo.owner);
      });
    } else {
      let buffered = "";
      stdin.on("data", (d: Buffer) => {
        buffered += d.toString();
        let nl;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (!demo.command(line)) {
            stdin.pause();
            return finish();
          }
        }
      });
    }
  });
}

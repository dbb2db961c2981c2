// The field reports' insert test, run from a client host of a Lab: writers (test/netns/db-writer.mjs)
// insert unique rows through an address while a fault is injected, and the checker (db-check.mjs) looks
// for every acknowledged row on the servers afterwards. Shared by DbCluster (vigil's promotable MariaDB)
// and KeepalivedDb (the field's keepalived + notify-script pair).
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { Lab } from "./netns.js";

const NETNS = new URL("../netns/", import.meta.url).pathname;

/** What the writers saw. */
export interface WriterReport {
  acked: [number, number][];
  unknown: [number, number][];
  failed: number;
  longestGapMs: number;
  gaps: [number, number][];
}

/** What the checker found on each server. */
export interface CheckReport {
  hosts: {
    host: string;
    error?: string;
    gtid?: string;
    readOnly?: boolean;
    rows?: number;
    missing?: number;
    duplicates?: number;
    checksum?: string;
  }[];
  converged: boolean;
}

/** Where the test runs: the lab whose "client" host runs writers and checker, the servers' port and the
 * account the writers use. */
export interface InsertTarget {
  lab: Lab;
  port: number;
  user: string;
  password: string;
}

/** Runs `writers` writers against `address` for `ms` as run `run`, calling `fault` `after` ms into it.
 * With `settleMs` they end earlier: that long after writes resumed following a gap of over 1s past
 * `after` (a takeover). Throws when the writers print no result. */
export async function runWriters(
  t: InsertTarget,
  address: string,
  run: number,
  writers: number,
  ms: number,
  after: number,
  fault: () => void | Promise<void>,
  settleMs?: number,
): Promise<WriterReport> {
  let out = "";
  let started: () => void = () => undefined;
  const ready = new Promise<void>((r) => (started = r));
  const child = t.lab.start(
    "client",
    process.execPath,
    [
      join(NETNS, "db-writer.mjs"),
      address,
      String(t.port),
      t.user,
      t.password,
      String(writers),
      String(ms),
      String(run),
      ...(settleMs === undefined ? [] : [String(settleMs), String(after)]),
    ],
    {
      log: (s) => {
        out += s;
        if (out.includes("started")) started();
      },
    },
  );
  // "close", not "exit": the JSON line (hundreds of kB) may still be in the pipe when the process exits.
  const done = new Promise((r) => child.once("close", r));
  await Promise.race([ready, done]);
  await new Promise((r) => setTimeout(r, after));
  await fault();
  await done;
  const line = out.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`the writers printed no result: ${out.slice(-500)}`);
  return JSON.parse(line) as WriterReport;
}

/** Checks the servers at `addresses` for the acknowledged rows of run `run` (and duplicates over every
 * run), after they converged on one GTID position (up to `waitMs`). */
export async function checkServers(
  t: InsertTarget,
  run: number,
  acked: [number, number][],
  waitMs: number,
  addresses: string[],
): Promise<CheckReport> {
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      t.lab.ns("client"),
      process.execPath,
      join(NETNS, "db-check.mjs"),
      String(t.port),
      t.user,
      t.password,
      String(waitMs),
      ...addresses,
    ],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  child.stdin.end(JSON.stringify({ acked, run }));
  await new Promise((r) => child.once("close", r));
  const line = out.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`the checker printed no result: ${out.slice(-500)}`);
  return JSON.parse(line) as CheckReport;
}

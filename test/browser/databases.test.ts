// The web page's Databases section against `vigil demo --db` (three real mariadbd on loopback): each
// node's role, the GTID it received and applied, and the primary's semi-sync state, as /status says;
// after the primary's mariadbd is killed, the same page shows another node primary and n1 rejoining.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, it } from "node:test";
import type { Browser } from "playwright-core";
import { chromiumUnavailable, launchChromium, waitText } from "../helpers/browser.js";
import { startDemo } from "../helpers/demo-process.js";

const why =
  chromiumUnavailable() ??
  (existsSync("/usr/sbin/mariadbd") ? undefined : "mariadbd (mariadb-server) is not installed");
if (why) process.stderr.write(`\n!!! SKIPPING the databases browser test: ${why}\n\n`);
const base = 30000 + Math.floor(Math.random() * 100) * 20;
let browser: Browser;
const demo = why ? undefined : startDemo(["--db", "--base-port", String(base), "--timers", "50ms/1s"]);
const out = () => demo?.out() ?? "";
const until = (what: string, test: () => boolean, ms: number) => demo?.until(what, test, ms);

before(async () => {
  if (!why) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await demo?.cleanup();
});

it(
  "shows every database node's role, positions and the primary's semi-sync, and follows a promotion",
  { skip: why },
  async () => {
    // Whichever node is primary once the writer writes (a loaded machine may have moved it already).
    const serving = /db on: (n\d) \| sql served by: \1 \| writer writing/;
    await until("the writer writing through sql", () => serving.test(out()), 90_000);
    const last = (from: number) => [...out().slice(from).matchAll(new RegExp(serving, "g"))].at(-1)?.[1] as string;
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`http://127.0.0.1:${base}/`);
    const row = (node: string) => `#db [data-db='db'] tr[data-db-node='${node}']`;
    // The primary the demo serves through now, once the page agrees (a first start may still move it).
    let first = last(0);
    const settle = Date.now() + 60_000;
    while (!new RegExp(`^${first}primary`).test((await page.textContent(row(first)).catch(() => "")) ?? "")) {
      if (Date.now() > settle) break;
      await new Promise((r) => setTimeout(r, 500));
      first = last(0);
    }
    await waitText(page, row(first), new RegExp(`^${first}primary`), 20_000);
    for (const n of ["n1", "n2", "n3"].filter((x) => x !== first))
      await waitText(page, row(n), new RegExp(`^${n}replica of ${first}`), 20_000);
    assert.match(
      (await page.textContent(row(first))) ?? "",
      /on, [12] replica\(s\) acknowledging, \d+ commit\(s\) waiting/,
    );
    const status = (await (await fetch(`http://127.0.0.1:${base}/status`)).json()) as {
      databases: { db: { nodes: { node: string; received: string }[] } };
    };
    const received = status.databases.db.nodes.find((n) => n.node === first)?.received ?? "";
    assert.match(received, /^0-\d-\d+$/, "the primary's GTIDs, domain 0");
    assert.match((await page.textContent(row(first))) ?? "", new RegExp(received.split("-").slice(0, 2).join("-")));
    assert.match((await page.textContent("#db-node")) ?? "", /as n1 read them/);

    const mark = out().length;
    await demo?.killPrimary(30_000);
    await until("another node serving sql", () => (last(mark) ?? first) !== first, 60_000);
    const now = last(mark);
    await waitText(page, row(now), new RegExp(`^${now}primary`), 20_000);
    await waitText(page, row(first), new RegExp(`^${first}replica of ${now}`), 60_000);
    assert.deepEqual(problems, []);
  },
);

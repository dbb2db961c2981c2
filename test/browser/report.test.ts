// `vigil report` against a real node: one HTML file that Chromium opens from disk and draws (the
// timeline of the node's group, the charts of its history) without a single request beyond the file.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import type { Browser } from "playwright-core";
import { chromiumUnavailable, launchChromium } from "../helpers/browser.js";
import { LocalCluster } from "../helpers/local-cluster.js";

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
const why = chromiumUnavailable();
if (why) process.stderr.write(`\n!!! SKIPPING the report browser test: ${why}\n\n`);

let c: LocalCluster;
let browser: Browser;
before(async () => {
  if (why) return;
  browser = await launchChromium();
  c = await LocalCluster.start({ nodes: 1, startTimeoutMs: 40_000 });
  await c.waitFor("db running", () => c.owner("db"), 30_000);
});
after(async () => {
  await browser?.close();
  await c?.stop();
});

it("writes one self-contained file that draws the timeline and charts offline", { skip: why }, async () => {
  await new Promise((r) => setTimeout(r, 2500)); // a few samples
  const file = join(c.dir, "report.html");
  const r = spawnSync(process.execPath, [MAIN, "report", "--api", c.apiAddress("n1"), "-o", file], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^wrote .*report\.html: n1's last 600s, 1 groups, \d+ decisions, 0 gaps without a server\n$/);
  const html = readFileSync(file, "utf8");
  assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i, "nothing loaded from elsewhere");
  const page = await browser.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on("request", (q) => requests.push(q.url()));
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`file://${file}`);
  await page.waitForSelector("#timeline [data-group='db'] .tl-row[data-node='n1'] .seg-running");
  assert.match((await page.textContent("#timeline [data-group='db'] .tl-decisions")) ?? "", /n1 starts db/);
  assert.ok(Number(await page.getAttribute("[data-chart='ops']", "data-points")) >= 1);
  assert.equal(await page.locator("[data-chart='ops'] canvas").count(), 1);
  assert.match((await page.textContent("#status")) ?? "", /as seen by n1/);
  assert.deepEqual(requests, [`file://${file}`]);
  assert.deepEqual(problems, []);
});

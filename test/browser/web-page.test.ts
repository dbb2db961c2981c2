// The daemon's web page in Debian's Chromium against a real three-node cluster on loopback: it shows
// nodes, leader and groups live; refuses commands without the right token (401, nothing changes);
// moves a group with it; shows a SIGKILLed owner OFFLINE and the group elsewhere without a reload;
// and says so when the node serving it dies. Skipped, loudly, where Chromium is missing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { chromiumUnavailable, launchChromium, waitText } from "../helpers/browser.js";
import { LocalCluster } from "../helpers/local-cluster.js";
import { VS_FIXTURE } from "./vs-fixture.js";

const why = chromiumUnavailable();
if (why) process.stderr.write(`\n!!! SKIPPING web page browser tests: ${why}\n\n`);

const TOKEN = "test-token-0123456789";
const SERVING = "n2";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the web page served by the daemon", { skip: why }, () => {
  let c: LocalCluster;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const row = (table: string, key: string, name: string, cell: string) =>
    `#${table} tr[data-${key}="${name}"] td.${cell}`;

  before(async () => {
    // Leases a little longer than the default, so a loaded test machine does not fail over by itself.
    [c, browser] = await Promise.all([
      LocalCluster.start({ clusterYaml: "  heartbeat: { interval: 50ms, lease: 500ms }\n", startTimeoutMs: 40_000 }),
      launchChromium(),
    ]);
    await c.waitFor("db running", () => c.owner("db"));
    page = await browser.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" && !/Failed to load resource/.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (err) => problems.push(err.message));
  });
  after(async () => {
    await browser?.close();
    await c?.stop();
  });

  it("shows the serving node, every member, the leader, the group and recent events, with a strict CSP", async () => {
    const res = await page.goto(`http://${c.apiAddress(SERVING)}/`);
    assert.equal(res?.status(), 200);
    assert.match(res?.headers()["content-security-policy"] ?? "", /default-src 'none'; script-src 'self'/);
    await waitText(page, "#conn", /live from n2/);
    assert.equal(await page.textContent("#self"), "n2");
    await waitText(page, "#leader", /^n1$/);
    await waitText(page, "#quorum", /^yes \(3 of 3 votes heard, 2 needed\)$/);
    for (const n of ["n1", "n2", "n3"]) await waitText(page, row("nodes", "node", n, "state"), /^online$/);
    assert.match((await page.textContent(row("nodes", "node", "n1", "role"))) ?? "", /leader/);
    assert.match((await page.textContent(row("nodes", "node", "n2", "links"))) ?? "", /this node/);
    assert.match((await page.textContent(row("nodes", "node", "n3", "links"))) ?? "", /^up$/);
    await waitText(
      page,
      row("groups", "group", "db", "state"),
      new RegExp(`^running on ${await c.waitFor("db running", () => c.owner("db"))}$`),
    );
    await waitText(page, "#events li:first-child .who", /^n2$/);
    assert.equal(await page.textContent("#events-node"), "as logged by n2, newest first");
    const times = await page.locator("#events li .when").allTextContents();
    assert.deepEqual(times, [...times].sort().reverse(), "events newest first");
    const limited = (await (await fetch(`http://${c.apiAddress(SERVING)}/events?limit=2`)).json()) as unknown[];
    assert.equal(limited.length, Math.min(2, times.length));
    assert.equal(await page.isHidden("#lost"), true);
    assert.equal(
      await page.isHidden("#vs-section"),
      true,
      "no virtual servers in /status yet: the section stays hidden",
    );
    assert.deepEqual(problems, []);
  });

  it("renders virtual servers and their real servers when /status has them, as text only", async () => {
    const p = await browser.newPage();
    try {
      await p.route("**/status", async (route) => {
        try {
          const real = await route.fetch();
          await route.fulfill({ response: real, json: { ...(await real.json()), virtual_servers: VS_FIXTURE } });
        } catch {
          await route.abort().catch(() => undefined);
        }
      });
      await p.goto(`http://${c.apiAddress(SERVING)}/`);
      await waitText(
        p,
        "#vs [data-vs='web'] > p",
        /web 10\.0\.0\.10:80 · wlc · follows group db · serving here · 3 active, 120 total, 2 refused · in 1\.5 MB, out 20\.0 MB/,
      );
      assert.equal(await p.isVisible("#vs-section"), true);
      const cells = async (addr: string) =>
        (await p.locator(`#vs [data-vs='web'] tr[data-real='${addr}'] td`).allTextContents()).join(" | ");
      assert.equal(
        await cells("10.0.1.1:8080"),
        "10.0.1.1:8080 | up | 3 | 2 active, 100 total | 2 ms | HTTP 200 in 2ms",
      );
      assert.equal(
        await cells("10.0.1.2:8080"),
        "10.0.1.2:8080 | DOWN | 0 (of 1) | 0 active, 20 total | 5 ms | HTTP 503 (expected 200)",
      );
      assert.equal(
        await cells("10.0.1.3:8080"),
        "10.0.1.3:8080 | draining | 0 (of 2) | 1 active, 0 total |  | removed from the config",
      );
      assert.match(
        (await p.textContent("#vs [data-vs='web'] .sorry")) ?? "",
        /sorry server 10\.0\.9\.9:80: standing by/,
      );
      const evil = await p.textContent("#vs [data-vs='<img src=x onerror=alert(1)>'] > p b");
      assert.equal(evil, "<img src=x onerror=alert(1)>", "names from the cluster are shown as text");
      assert.equal(await p.locator("#vs img, #vs td b").count(), 0, "no markup from the cluster is parsed");
      assert.equal(await p.textContent("#vs tr[data-real='10.0.2.1:443'] td.detail"), "<b>connection refused</b>");
      assert.match(
        (await p.textContent("#vs [data-vs='<img src=x onerror=alert(1)>'] .sorry")) ?? "",
        /IN USE \(no real server is healthy\), 4 active/,
      );
    } finally {
      await p.close();
    }
  });

  it("refuses a command without a token and with a wrong one (401, shown) and changes nothing", async () => {
    await page.click("#groups button[data-cmd='move'][data-group='db']");
    await waitText(page, "#result", /choose the node to move db to first/);
    await page.selectOption("#groups select[data-group='db']", "n3");
    await page.click("#groups button[data-cmd='move'][data-group='db']");
    await page.waitForSelector("#token-dialog[open]");
    assert.match(
      (await page.textContent("#token-why")) ?? "",
      /The API wants a token \(401\): missing or wrong bearer token \(see api\.token_file\)/,
    );
    assert.equal(await page.textContent("#token-pending"), "move db to n3");
    await waitText(page, "#result", /move db to n3: refused \(401\)/);
    await page.fill("#token-input", "wrong-token");
    await page.click("#token-send");
    await waitText(page, "#token-why", /The token was refused \(401\): missing or wrong bearer token/);
    assert.equal(await page.isVisible("#token-dialog[open]"), true, "asked again after the 401");
    await page.click("#token-cancel");
    await waitText(page, "#result", /move db to n3: not sent \(no token given\)/);
    await sleep(500);
    const status = (await (await fetch(`http://${c.apiAddress(SERVING)}/status`)).json()) as { admin: unknown };
    assert.deepEqual(
      status.admin,
      { standby: [], moves: {}, cleanups: {}, maintenance: false },
      "no command was carried out",
    );
    assert.equal(await page.textContent(row("groups", "group", "db", "moved")), "");
    assert.equal(await page.isHidden("#token-state"), true);
  });

  it("moves the group with the right token (asked once), shows it on the new node, and runs the other commands", async () => {
    await page.selectOption("#groups select[data-group='db']", "n3");
    await page.click("#groups button[data-cmd='move'][data-group='db']");
    await page.waitForSelector("#token-dialog[open]");
    await page.fill("#token-input", TOKEN);
    await page.click("#token-send");
    await waitText(page, "#result", /db is moved to n3 by an operator/);
    await waitText(page, row("groups", "group", "db", "state"), /^running on n3$/);
    assert.match((await page.textContent(row("groups", "group", "db", "moved"))) ?? "", /^n3$/);
    assert.match((await page.textContent(row("nodes", "node", "n3", "runs"))) ?? "", /^db$/);
    await page.click("#groups button[data-cmd='cleanup'][data-group='db']");
    await waitText(page, "#result", /failures of db are cleared by an operator/);
    await page.click("#nodes button[data-cmd='standby'][data-node='n1']");
    await waitText(page, row("nodes", "node", "n1", "state"), /^standby$/);
    await page.click("#nodes button[data-cmd='online'][data-node='n1']");
    await waitText(page, "#result", /n1 is back online by an operator/);
    await waitText(page, row("nodes", "node", "n1", "state"), /^online$/);
    await page.click("#maintenance-on");
    await page.waitForSelector("#maintenance", { state: "visible", timeout: 5000 });
    assert.match((await page.textContent("#maintenance")) ?? "", /MAINTENANCE: vigil does not start or stop resources/);
    await page.click("#maintenance button[data-cmd='maintenance-off']");
    await waitText(page, "#result", /maintenance off by an operator/);
    await page.waitForSelector("#maintenance", { state: "hidden" });
    assert.equal(await page.isVisible("#token-dialog[open]"), false, "the token is not asked twice");
    assert.equal(await c.owner("db"), "n3");
    assert.deepEqual(problems, []);
  });

  it("shows the SIGKILLed owner OFFLINE and the group running on another node, without a reload", async () => {
    await page.evaluate(() => Object.assign(globalThis, { vigilTestMark: 1 }));
    const killedAt = Date.now();
    await c.kill("n3");
    await waitText(page, row("nodes", "node", "n3", "state"), /^OFFLINE$/);
    const moved = await waitText(page, row("groups", "group", "db", "state"), /^running on n[12]$/);
    const owner = await c.waitFor("one owner", () => c.owner("db"));
    assert.equal(moved, `running on ${owner}`);
    assert.match((await page.textContent(row("nodes", "node", "n3", "runs"))) ?? "", /^$/);
    await waitText(page, "#quorum", /^yes \(2 of 3 votes heard, 2 needed\)$/);
    assert.equal(
      await page.evaluate(() => (globalThis as { vigilTestMark?: number }).vigilTestMark),
      1,
      "the page was not reloaded",
    );
    process.stderr.write(`# the page showed db on ${owner} ${Date.now() - killedAt}ms after SIGKILL of n3\n`);
  });

  it("says the connection is lost, and greys the view out, when the node serving it dies", async () => {
    await c.kill(SERVING);
    await waitText(
      page,
      "#lost",
      /Connection lost to n2 \(127\.0\.0\.1:\d+\): .*Retrying every 0\.5 s; what is shown below is from [\d:.]+ and may be out of date\./,
    );
    await waitText(page, "#conn", /connection lost, retrying/);
    assert.match((await page.getAttribute("#view", "class")) ?? "", /stale/);
  });
});

// Screenshots of the web page during a failover, for docs/timeline.md: a loopback cluster whose group
// `web` carries virtual server `site`, a client using the site, Chromium on n2's page; n1 (the owner)
// is SIGKILLed and the page is captured before and after. Rerun with:
//   npm run build && npx tsx scripts/screenshots.ts [--out docs/img]
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchChromium } from "../test/helpers/browser.js";
import { Prober, startFailoverFixture } from "../test/helpers/failover-fixture.js";

const out = process.argv.includes("--out") ? (process.argv[process.argv.indexOf("--out") + 1] as string) : "docs/img";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

mkdirSync(out, { recursive: true });
const f = await startFailoverFixture();
const browser = await launchChromium();
const prober = new Prober(f.sitePort, 20);
try {
  prober.start();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`http://${f.cluster.apiAddress("n2")}/`);
  await page.selectOption("#tl-range", "60000");
  await sleep(8000);
  await page.screenshot({ path: join(out, "page-before.png"), fullPage: true });
  const killedAt = Date.now();
  await f.cluster.kill("n1");
  await f.cluster.waitFor(
    "web running on n2",
    async () => ((await f.cluster.owner("web")) === "n2" ? true : undefined),
    20_000,
  );
  await sleep(3000);
  await page.waitForSelector("#timeline .tl-gaps li");
  await page.screenshot({ path: join(out, "page-failover.png"), fullPage: true });
  await page.locator("#timeline-section").screenshot({ path: join(out, "timeline.png") });
  await page.locator("#charts-section").screenshot({ path: join(out, "charts.png") });
  const gap = prober.longestGap(killedAt - 1000);
  process.stdout.write(
    `screenshots in ${out}: page-before.png page-failover.png timeline.png charts.png; the client saw no answer for ${gap?.ms}ms; the page says: ${await page.locator("#timeline .tl-gaps li").last().textContent()}\n`,
  );
} finally {
  prober.stop();
  await browser.close();
  await f.stop();
}

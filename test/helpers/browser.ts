// Debian's Chromium driven by playwright-core, for the web page tests: where to find it, how to
// launch it headless in a container, and how to wait for text on a page that updates itself.
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

/** The Chromium binary: $VIGIL_CHROMIUM, else Debian's. */
export const CHROMIUM = process.env.VIGIL_CHROMIUM ?? "/usr/bin/chromium";

/** Why browser tests cannot run here, or undefined when they can. */
export function chromiumUnavailable(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set VIGIL_CHROMIUM)`;
}

/** Launches headless Chromium with flags that work as root, in containers and without a GPU. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
    ],
  });
}

/** Waits until the text of `selector` matches `want`; fails with the last text seen. */
export async function waitText(page: Page, selector: string, want: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: string | null = null;
  while (Date.now() < deadline) {
    last = await page
      .locator(selector)
      .first()
      .textContent({ timeout: 1000 })
      .catch(() => null);
    if (last !== null && want.test(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `timed out after ${timeoutMs}ms waiting for ${selector} to match ${want}; last text: ${JSON.stringify(last)}`,
  );
}

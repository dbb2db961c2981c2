// The web page's assets: the script parses, and nothing in them needs what the Content-Security-Policy
// forbids (inline code, external resources) or parses cluster text as HTML.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { APP_JS, WEB_ASSETS } from "../../src/api/web/assets.js";
import { WEB_CSP } from "../../src/api/web/routes.js";

describe("web page assets", () => {
  it("ship a script that parses, in one strict function scope", () => {
    assert.doesNotThrow(() => new Function(APP_JS));
    assert.match(APP_JS, /^"use strict";\n\(\(\) => \{/);
  });

  it("never parse text as HTML or evaluate strings", () => {
    for (const bad of ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"]) {
      assert.ok(!APP_JS.includes(bad), `app.js uses ${bad}`);
    }
  });

  it("load nothing from elsewhere and have no inline code, so the strict CSP holds", () => {
    const html = WEB_ASSETS.get("/")?.body ?? "";
    assert.match(html, /<script src="\/web\/app\.js" defer><\/script>/);
    assert.doesNotMatch(html, /<script>|<style|\sstyle=|\son[a-z]+=/i);
    assert.match(html, /<script src="\/web\/uplot\.js" defer><\/script>/);
    // uPlot's only address is its project page in its leading licence comment.
    for (const [path, a] of WEB_ASSETS)
      assert.doesNotMatch(
        a.body.replace(/^\/\*![^*]*\*\//, ""),
        /https?:\/\/|url\(/,
        `${path} refers to another origin`,
      );
    assert.match(WEB_CSP, /^default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'/);
    assert.doesNotMatch(WEB_CSP, /unsafe/);
  });
});

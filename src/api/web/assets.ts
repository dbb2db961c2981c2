// The web page's assets, assembled: the HTML, the stylesheet, uPlot (script and stylesheet), and one
// script made of the client parts, wrapped so nothing leaks into the page's global scope.
import { COMMANDS_JS } from "./app-commands.js";
import { DB_JS } from "./app-db.js";
import { CORE_JS } from "./app-core.js";
import { HISTORY_JS } from "./app-history.js";
import { RENDER_JS } from "./app-render.js";
import { VS_JS } from "./app-vs.js";
import { PAGE_CSS } from "./page-css.js";
import { PAGE_HTML } from "./page-html.js";
import { UPLOT_CSS, UPLOT_JS } from "./vendor.js";

/** One asset the daemon serves. */
export interface WebAsset {
  type: string;
  body: string;
}

const START_JS = `
setupCommands();
setupHistory();
poll();
pollHistory();
`;

/** The page's script: every client part in one strict-mode function scope. */
export const APP_JS = `"use strict";\n(() => {\n${[CORE_JS, RENDER_JS, VS_JS, DB_JS, COMMANDS_JS, HISTORY_JS, START_JS].join("\n")}\n})();\n`;

/** Assets by path. */
export const WEB_ASSETS: ReadonlyMap<string, WebAsset> = new Map([
  ["/", { type: "text/html; charset=utf-8", body: PAGE_HTML }],
  ["/web/app.js", { type: "text/javascript; charset=utf-8", body: APP_JS }],
  ["/web/style.css", { type: "text/css; charset=utf-8", body: PAGE_CSS }],
  ["/web/uplot.js", { type: "text/javascript; charset=utf-8", body: UPLOT_JS }],
  ["/web/uplot.css", { type: "text/css; charset=utf-8", body: UPLOT_CSS }],
]);

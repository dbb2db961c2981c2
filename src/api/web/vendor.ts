// uPlot (https://github.com/leeoniya/uPlot, MIT), the charting library of the page and of `vigil
// report`: 50 kB, no dependencies, draws thousands of time-series points on a canvas, and needs no
// inline script or style (it sets styles through the DOM), so the page's strict CSP stays. Read once
// from node_modules and served by the daemon itself.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** uPlot's script (an IIFE defining the global `uPlot`). */
export const UPLOT_JS = readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8");

/** uPlot's stylesheet. */
export const UPLOT_CSS = readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8");

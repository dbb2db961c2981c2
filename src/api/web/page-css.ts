// The web page's stylesheet, served at /web/style.css.

/** The page's CSS. */
export const PAGE_CSS = String.raw`
:root { --fg: #1d2330; --muted: #6b7280; --line: #d9dee7; --ok: #16794a; --warn: #9a6700; --bad: #b42318; --bg: #f7f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 1.5em; padding: .6em 1.2em; background: #1d2330; color: #fff; }
header h1 { margin: 0; font-size: 1.25em; }
header #cluster-name { font-weight: normal; color: #b8c0cc; }
.conn.live::before { content: "● "; color: #3ddc84; }
.conn.down::before { content: "● "; color: #ff6b5e; }
main { padding: .5em 1.2em 2em; max-width: 1200px; }
main.stale { opacity: .45; filter: grayscale(1); }
h2 { font-size: 1.05em; margin: 1.2em 0 .4em; }
h2 small { font-weight: normal; color: var(--muted); }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: .9em; }
td.actions { white-space: nowrap; text-align: right; }
td.gtid { font-family: ui-monospace, monospace; word-break: break-all; }
.state-online, .up, .running { color: var(--ok); font-weight: 600; }
.state-standby, .starting, .stopping, .draining { color: var(--warn); font-weight: 600; }
.state-OFFLINE, .down, .failed, .error { color: var(--bad); font-weight: 600; }
.leader { font-weight: 600; }
.muted { color: var(--muted); }
.banner { padding: .6em 1.2em; font-weight: 600; }
.banner.lost { background: #fde8e6; color: var(--bad); border-bottom: 2px solid var(--bad); }
.banner.maint { background: #fff4d6; color: var(--warn); border: 2px solid var(--warn); margin-top: .6em; }
.result { margin: .6em 1.2em 0; padding: .45em .8em; border-radius: 4px; background: #fff; border: 1px solid var(--line); }
.result.ok { border-color: var(--ok); color: var(--ok); }
.result.error { border-color: var(--bad); color: var(--bad); }
.result.pending { color: var(--muted); }
button { font: inherit; padding: .15em .6em; cursor: pointer; }
button.link { background: none; border: none; color: #9ec1ff; text-decoration: underline; padding: 0; }
select { font: inherit; }
.events { list-style: none; padding: 0; margin: 0; background: #fff; border: 1px solid var(--line); max-height: 24em; overflow: auto; font-family: ui-monospace, monospace; font-size: .88em; }
.events li { padding: .2em .6em; border-bottom: 1px solid var(--line); }
.events .when { color: var(--muted); margin-right: .8em; }
.events .who { font-weight: 600; margin-right: .8em; }
.vs { background: #fff; border: 1px solid var(--line); margin-bottom: .8em; }
.vs > p { margin: 0; padding: .4em .6em; }
.vs table { border: none; border-top: 1px solid var(--line); }
h2 .range { float: right; font-weight: normal; font-size: .9em; color: var(--muted); }
.tl-group { background: #fff; border: 1px solid var(--line); padding: .4em .6em .6em; margin-bottom: .8em; }
.tl-group h3 { margin: 0 0 .4em; font-size: 1em; }
.tl-grid { position: relative; }
.tl-row { display: flex; align-items: center; height: 1.6em; }
.tl-label { flex: 0 0 9em; font-size: .9em; overflow: hidden; white-space: nowrap; }
.tl-track { position: relative; flex: 1; height: 1.1em; background: #eef0f4; }
.tl-marks .tl-track, .tl-axis .tl-track { background: none; }
.tl-seg { position: absolute; top: 0; bottom: 0; }
.seg-running { background: #16a34a; }
.seg-active { background: #4ade80; }
.seg-starting { background: #facc15; }
.seg-stopping { background: #fb923c; }
.seg-stopped { background: #e5e7eb; }
.seg-failed, .seg-unclean { background: #dc2626; }
.seg-offline { background: repeating-linear-gradient(45deg, #9ca3af 0 4px, #d1d5db 4px 8px); }
.tl-mark { position: absolute; top: 0; transform: translateX(-50%); min-width: 1.3em; height: 1.2em; padding: 0 .2em; border-radius: 3px;
  background: #1d2330; color: #fff; font-size: .72em; line-height: 1.2em; text-align: center; cursor: help; }
.tl-mark:hover { background: #2563eb; z-index: 2; }
.tl-axis .tl-track { height: 1.4em; }
.tl-tick { position: absolute; top: .1em; transform: translateX(-50%); font-size: .75em; color: var(--muted); white-space: nowrap; }
.tl-overlay { position: absolute; left: 9em; right: 0; top: 0; bottom: 1.6em; pointer-events: none; }
.tl-gap { position: absolute; top: 0; bottom: 0; background: rgba(220, 38, 38, .14); border-left: 1px dashed #b42318; border-right: 1px dashed #b42318; }
.tl-gap-label { position: absolute; bottom: 100%; left: 0; white-space: nowrap; font-size: .75em; font-weight: 600; color: var(--bad); background: #fff; }
.tl-gaps { margin: .5em 0 0; padding-left: 1.2em; font-size: .9em; color: var(--bad); }
.tl-decisions { margin: .4em 0 0; padding-left: 2em; font-family: ui-monospace, monospace; font-size: .82em; }
.tl-decisions .when { color: var(--muted); margin-right: .8em; }
.tl-decisions .who { font-weight: 600; margin-right: .8em; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: .8em; }
.chart { background: #fff; border: 1px solid var(--line); padding: .3em .5em; min-width: 0; overflow: hidden; }
.chart h4 { margin: 0 0 .2em; font-size: .9em; font-weight: 600; }
.chart-last { margin: .2em 0 0; font-size: .82em; color: var(--muted); }
.chart-value { white-space: nowrap; color: var(--fg); }
.swatch { display: inline-block; width: .8em; height: .8em; margin-right: .3em; vertical-align: -.05em; }
dialog { border: 1px solid var(--line); border-radius: 6px; max-width: 28em; }
dialog input { display: block; width: 100%; margin-top: .3em; padding: .3em; font: inherit; }
dialog menu { display: flex; gap: .6em; padding: 0; margin: 1em 0 0; }
dialog .hint { color: var(--muted); font-size: .9em; }
`;

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
dialog { border: 1px solid var(--line); border-radius: 6px; max-width: 28em; }
dialog input { display: block; width: 100%; margin-top: .3em; padding: .3em; font: inherit; }
dialog menu { display: flex; gap: .6em; padding: 0; margin: 1em 0 0; }
dialog .hint { color: var(--muted); font-size: .9em; }
`;

// The web page's HTML: a static skeleton that /web/app.js fills in from /status and /events.
// Nothing from the cluster is in here; the script puts every text in with textContent.

/** The page served at GET /. */
export const PAGE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vigil</title>
<link rel="stylesheet" href="/web/uplot.css">
<link rel="stylesheet" href="/web/style.css">
<script src="/web/uplot.js" defer></script>
<script src="/web/app.js" defer></script>
</head>
<body>
<header>
  <h1>vigil <span id="cluster-name"></span></h1>
  <span id="conn" class="conn" role="status">connecting…</span>
  <span id="token-state" hidden>token set <button type="button" id="forget-token" class="link">forget</button></span>
</header>
<div id="lost" class="banner lost" role="alert" hidden></div>
<div id="result" class="result" role="status" hidden></div>
<main id="view">
  <div id="maintenance" class="banner maint" hidden>
    MAINTENANCE: vigil does not start or stop resources anywhere (it keeps monitoring and reporting).
    <button type="button" data-cmd="maintenance-off">maintenance off</button>
  </div>
  <section id="summary">
    <p>
      As seen by <b id="self">…</b>:
      leader <b id="leader">…</b>, term <span id="term">…</span>;
      quorum <span id="quorum">…</span>.
      <button type="button" id="maintenance-on" data-cmd="maintenance-on">maintenance on</button>
    </p>
  </section>
  <section>
    <h2>Nodes</h2>
    <table id="nodes">
      <thead><tr><th>node</th><th>state</th><th>role</th><th>votes</th><th>links</th><th>runs</th><th></th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section>
    <h2>Groups</h2>
    <table id="groups">
      <thead><tr><th>group</th><th>state</th><th>target</th><th>failures</th><th>moved by operator</th><th></th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section id="vs-section" hidden>
    <h2>Virtual servers <small id="vs-node"></small></h2>
    <div id="vs"></div>
  </section>
  <section id="db-section" hidden>
    <h2>Databases <small id="db-node"></small></h2>
    <div id="db"></div>
  </section>
  <section id="timeline-section">
    <h2>Timeline <small id="history-node"></small>
      <label class="range">show <select id="tl-range" title="how far back the timeline reaches"></select></label></h2>
    <div id="timeline"></div>
  </section>
  <section id="charts-section">
    <h2>Charts</h2>
    <div id="charts" class="charts"></div>
  </section>
  <section>
    <h2>Recent events <small id="events-node">newest first</small></h2>
    <ol id="events" class="events"></ol>
  </section>
</main>
<dialog id="token-dialog">
  <form id="token-form">
    <h2>API token needed</h2>
    <p id="token-why" class="error"></p>
    <p>To run: <b id="token-pending"></b></p>
    <label>Bearer token (the contents of <code>api.token_file</code>)
      <input type="password" id="token-input" autocomplete="off" required>
    </label>
    <p class="hint">Kept in this tab's session storage only.</p>
    <menu>
      <button type="submit" id="token-send">send</button>
      <button type="button" id="token-cancel">cancel</button>
    </menu>
  </form>
</dialog>
</body>
</html>
`;

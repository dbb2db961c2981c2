// Client script, part 4: the command buttons. A command is sent with the token kept in this tab's
// sessionStorage (none at first); a 401 forgets the token and asks for one, showing the server's
// message, then sends the command again. Every outcome (ok, refused, error) is shown.

/** Command buttons, the token form and command results (plain browser JS). */
export const COMMANDS_JS = String.raw`
const TOKEN_KEY = "vigil-api-token";
let pending = null;

function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

function showTokenState() { $("token-state").hidden = !token(); }

function showResult(kind, text) {
  const r = $("result");
  r.hidden = false;
  r.className = "result " + kind;
  r.textContent = (kind === "pending" ? "" : clock(Date.now()) + "  ") + text;
}

/** The command a button stands for: its API path and what it does in words. */
function commandOf(button) {
  const d = button.dataset;
  const enc = encodeURIComponent;
  switch (d.cmd) {
    case "standby": return { path: "/nodes/" + enc(d.node) + "/standby", label: "put " + d.node + " in standby" };
    case "online": return { path: "/nodes/" + enc(d.node) + "/online", label: "bring " + d.node + " online" };
    case "cleanup": return { path: "/groups/" + enc(d.group) + "/cleanup", label: "clean up " + d.group };
    case "maintenance-on": return { path: "/maintenance/on", label: "turn maintenance on" };
    case "maintenance-off": return { path: "/maintenance/off", label: "turn maintenance off" };
    case "move": {
      const row = button.closest("tr");
      const node = row && row.querySelector("select") ? row.querySelector("select").value : "";
      if (!node) return { error: "choose the node to move " + d.group + " to first" };
      return { path: "/groups/" + enc(d.group) + "/move?node=" + enc(node), label: "move " + d.group + " to " + node };
    }
  }
  return null;
}

async function send(cmd) {
  if (cmd.error) return showResult("error", cmd.error);
  const t = token();
  showResult("pending", cmd.label + " …");
  let res, body;
  try {
    res = await fetch(cmd.path, { method: "POST", headers: t ? { authorization: "Bearer " + t } : {}, signal: AbortSignal.timeout(10000) });
    body = await res.json().catch(() => ({}));
  } catch (err) {
    showResult("error", cmd.label + ": not sent, the API did not answer (" + err.message + ")");
    return;
  }
  const said = body.message || body.error || "HTTP " + res.status;
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showTokenState();
    showResult("error", cmd.label + ": refused (401): " + said);
    askToken(cmd, (t ? "The token was refused" : "The API wants a token") + " (401): " + said);
    return;
  }
  showResult(res.ok ? "ok" : "error", res.ok ? said : cmd.label + ": " + said);
}

function askToken(cmd, why) {
  pending = cmd;
  $("token-why").textContent = why;
  $("token-pending").textContent = cmd.label;
  $("token-input").value = "";
  const d = $("token-dialog");
  if (!d.open) d.showModal();
  $("token-input").focus();
}

function cancelToken() {
  if (pending) showResult("error", pending.label + ": not sent (no token given)");
  pending = null;
  if ($("token-dialog").open) $("token-dialog").close();
}

function setupCommands() {
  document.addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-cmd]");
    if (!b) return;
    const cmd = commandOf(b);
    if (cmd) send(cmd);
  });
  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const t = $("token-input").value.trim();
    if (!t) return;
    sessionStorage.setItem(TOKEN_KEY, t);
    showTokenState();
    const cmd = pending;
    pending = null;
    $("token-dialog").close();
    if (cmd) send(cmd);
  });
  $("token-cancel").addEventListener("click", cancelToken);
  $("token-dialog").addEventListener("cancel", (ev) => { ev.preventDefault(); cancelToken(); });
  $("forget-token").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showTokenState();
    showResult("ok", "token forgotten");
  });
  showTokenState();
}
`;

// Client script, part 4: the databases of /status (`databases`, per group this node's DbNodeStatus with
// the rows of every database node, src/daemon/db-replicas.ts): each node's role, what it received and
// applied, its lag and, on the primary, the semi-sync state. The section stays hidden without databases.

/** Rendering of database groups (plain browser JS). */
export const DB_JS = String.raw`
function dbRole(r) {
  if (r.role === "replica") return "replica" + (r.replicatesFrom ? " of " + r.replicatesFrom : "");
  if (r.role === "unreachable") return "UNREACHABLE";
  return r.role;
}

function dbLag(r) {
  if (r.role !== "replica") return "";
  const tx = typeof r.lagTransactions === "number" ? r.lagTransactions + " transactions" : "";
  const sec = typeof r.secondsBehind === "number" ? r.secondsBehind + " s" : r.secondsBehind === null ? "not applying" : "";
  return [tx, sec].filter(Boolean).join(", ");
}

function dbSemiSync(r) {
  const s = r.semiSync;
  if (!s || r.role !== "primary") return "";
  if (!s.enabled) return "off (asynchronous)";
  if (s.fellBack) return "FELL BACK to asynchronous";
  return (s.active ? "on" : "not active") + ", " + s.clients + " replica(s) acknowledging, " + s.waiting + " commit(s) waiting";
}

function dbNodeRow(r) {
  const cls = r.role === "primary" ? "up" : r.role === "unreachable" ? "down" : "";
  return el("tr", { "data-db-node": r.node }, [
    el("td", { text: r.node }),
    el("td", { class: "health " + cls, text: dbRole(r) }),
    el("td", { class: "gtid", text: r.received || "" }),
    el("td", { class: "gtid", text: r.applied || "" }),
    el("td", { text: dbLag(r) }),
    el("td", { class: r.semiSync && r.semiSync.fellBack ? "error" : "", text: dbSemiSync(r) }),
    el("td", { class: "detail", text: r.lastError || r.why || "" }),
  ]);
}

function databaseBlock(name, d) {
  const head = el("p", {}, [
    el("b", { text: name }),
    " · here: " + d.role + (d.role === "replica" && d.primary ? " of " + d.primary : "") + (d.detail ? " · " + d.detail : ""),
  ]);
  const table = el("table", {}, [
    el("thead", {}, [el("tr", {}, ["node", "role", "received", "applied", "lag", "semi-sync", "last error"].map((t) => el("th", { text: t })))]),
    el("tbody", {}, (d.nodes || []).map(dbNodeRow)),
  ]);
  return el("div", { class: "vs", "data-db": name }, [head, table]);
}

function renderDatabases(s) {
  const dbs = s.databases && typeof s.databases === "object" ? s.databases : {};
  if (!changed("db", dbs)) return;
  const names = Object.keys(dbs).sort();
  $("db-section").hidden = names.length === 0;
  $("db-node").textContent = "as " + s.name + " read them";
  fill($("db"), names.map((n) => databaseBlock(n, dbs[n])));
}
`;

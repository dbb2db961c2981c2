// Client script, part 2: renders one /status and /events answer: the summary line, the members,
// the groups with their command controls, and the recent events (newest first).

/** Rendering of the summary, nodes, groups and events (plain browser JS). */
export const RENDER_JS = String.raw`
/** Every member as the serving node sees it, in configured order when /status says it. */
function membersOf(s) {
  const self = { name: s.name, self: true, alive: true, links: [], standby: s.standby, failures: s.failures || {},
    track: s.track || {}, running: Object.keys(s.groups).filter((g) => s.groups[g] !== "stopped") };
  const byName = new Map([self].concat(s.peers || []).map((m) => [m.name, m]));
  const info = (s.cluster && s.cluster.members) || [];
  const names = info.length ? info.map((m) => m.name) : Array.from(byName.keys()).sort();
  return names.map((n) => {
    const m = byName.get(n) || { name: n, alive: false, links: [], running: [], failures: {}, track: {} };
    const i = info.find((x) => x.name === n);
    return Object.assign({}, m, { votes: i ? i.votes : null, witness: i ? i.witness : false });
  });
}

function stateOf(s, m) {
  if (!m.alive) return "OFFLINE";
  return m.standby || s.admin.standby.includes(m.name) ? "standby" : "online";
}

function render(s, events) {
  const members = membersOf(s);
  renderSummary(s);
  renderNodes(s, members);
  renderGroups(s, members);
  renderVirtualServers(s);
  renderDatabases(s);
  renderEvents(events);
  $("events-node").textContent = "as logged by " + s.name + ", newest first";
}

function renderSummary(s) {
  document.title = "vigil · " + s.name;
  $("cluster-name").textContent = s.cluster ? "cluster " + s.cluster.name : "";
  $("self").textContent = s.name;
  $("leader").textContent = s.leader || "none";
  $("leader").className = s.leader ? "" : "error";
  $("term").textContent = String(s.term);
  const q = s.cluster && s.cluster.quorum;
  const quorum = $("quorum");
  if (!q) quorum.textContent = "unknown";
  else {
    quorum.textContent = (q.ok ? "yes" : "NO") + " (" + q.heard + " of " + q.total + " votes heard, " + q.needed + " needed" +
      (q.mode === "two_node" ? "; two_node: a survivor acts alone" : "") + ")";
    quorum.className = q.ok ? "up" : "down";
  }
  $("maintenance").hidden = !s.admin.maintenance;
  $("maintenance-on").hidden = s.admin.maintenance;
}

function linksText(m) {
  if (m.self) return "this node";
  if (!m.links.length) return "";
  if (m.links.length === 1) return m.links[0] ? "up" : "DOWN";
  return m.links.map((up, i) => "link " + i + " " + (up ? "up" : "DOWN")).join(", ");
}

function renderNodes(s, members) {
  const rows = members.map((m) => {
    const state = stateOf(s, m);
    const standby = m.standby || s.admin.standby.includes(m.name);
    const role = [m.name === s.leader ? "★ leader" : "", m.witness ? "witness" : ""].filter(Boolean).join(", ");
    return { name: m.name, self: !!m.self, state, role, votes: m.votes, links: linksText(m), runs: m.alive ? m.running.join(", ") : "", standby };
  });
  if (!changed("nodes", rows)) return;
  fill($("nodes").tBodies[0], rows.map((r) => el("tr", { "data-node": r.name }, [
    el("td", {}, [el("b", { text: r.name }), r.self ? el("span", { class: "muted", text: " (serving this page)" }) : null]),
    el("td", { class: "state state-" + r.state, text: r.state }),
    el("td", { class: r.role.includes("leader") ? "role leader" : "role", text: r.role }),
    el("td", { text: r.votes === null ? "" : r.votes }),
    el("td", { class: "links", text: r.links }),
    el("td", { class: "runs", text: r.runs }),
    el("td", { class: "actions" }, [r.standby
      ? el("button", { type: "button", "data-cmd": "online", "data-node": r.name, text: "online" })
      : el("button", { type: "button", "data-cmd": "standby", "data-node": r.name, text: "standby" })]),
  ])));
}

function groupRow(s, members, g) {
  const owners = members.filter((m) => m.alive && m.running.includes(g));
  const where = owners.map((m) => (m.self ? s.groups[g] : "running") + " on " + m.name);
  const failures = members.filter((m) => (m.failures[g] || 0) > 0).map((m) => m.name + ": " + m.failures[g])
    .concat(members.filter((m) => m.alive && m.track && m.track[g]).map((m) => m.name + " " + m.track[g]));
  const clone = (s.clones || []).includes(g) ? "clone: " : "";
  return { name: g, state: clone + (where.length ? where.join(", ") : "stopped"), running: owners.length > 0,
    target: s.assignments[g] || "", failures: failures.join(", "), moved: s.admin.moves[g] || "",
    choices: members.filter((m) => !m.witness).map((m) => m.name) };
}

function renderGroups(s, members) {
  const placed = Object.keys(Object.keys(s.assignments).length ? s.assignments : s.groups);
  const names = Array.from(new Set(placed.concat(s.clones || []))).sort();
  const rows = names.map((g) => groupRow(s, members, g));
  if (!changed("groups", rows)) return;
  const tbody = $("groups").tBodies[0];
  const chosen = new Map(Array.from(tbody.querySelectorAll("select")).map((sel) => [sel.dataset.group, sel.value]));
  fill(tbody, rows.map((r) => {
    const pick = el("select", { "data-group": r.name, title: "node to move " + r.name + " to" },
      [el("option", { value: "", text: "node…" })].concat(r.choices.map((n) => el("option", { value: n, text: n }))));
    if (chosen.has(r.name) && r.choices.includes(chosen.get(r.name))) pick.value = chosen.get(r.name);
    return el("tr", { "data-group": r.name }, [
      el("td", {}, [el("b", { text: r.name })]),
      el("td", { class: "state " + (r.running ? "running" : "muted"), text: r.state }),
      el("td", { class: "target", text: r.target }),
      el("td", { class: "failures " + (r.failures ? "error" : ""), text: r.failures }),
      el("td", { class: "moved", text: r.moved }),
      el("td", { class: "actions" }, [
        "move to ", pick, " ",
        el("button", { type: "button", "data-cmd": "move", "data-group": r.name, text: "move" }), " ",
        el("button", { type: "button", "data-cmd": "cleanup", "data-group": r.name, text: "cleanup" }),
      ]),
    ]);
  }));
}

function renderEvents(events) {
  const recent = (Array.isArray(events) ? events : []).slice(-EVENTS_SHOWN).reverse();
  if (!changed("events", recent)) return;
  fill($("events"), recent.map((e) => el("li", {}, [
    el("span", { class: "when", text: clock(e.at) }),
    el("span", { class: "who", text: e.node }),
    el("span", { class: "what", text: e.text }),
  ])));
}
`;

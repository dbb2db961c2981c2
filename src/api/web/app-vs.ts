// Client script, part 3: the virtual servers of /status (`virtual_servers`, shaped as
// VirtualServerStatus in src/core/balancer/status.ts), each with its real servers and sorry server.
// The section stays hidden while /status has none.

/** Rendering of virtual servers and their real servers (plain browser JS). */
export const VS_JS = String.raw`
function bytes(n) {
  if (n >= 1e9) return (n / 1e9).toFixed(1) + " GB";
  if (n >= 1e6) return (n / 1e6).toFixed(1) + " MB";
  if (n >= 1e3) return (n / 1e3).toFixed(1) + " kB";
  return n + " B";
}

function realServerRow(r) {
  const health = r.draining ? "draining" : r.up ? "up" : "DOWN";
  const weight = r.effectiveWeight === r.weight ? String(r.weight) : r.effectiveWeight + " (of " + r.weight + ")";
  return el("tr", { "data-real": r.address }, [
    el("td", { text: r.address }),
    el("td", { class: "health " + (r.draining ? "draining" : r.up ? "up" : "down"), text: health }),
    el("td", { text: weight }),
    el("td", { text: r.active + " active, " + r.total + " total" + (typeof r.bytesIn === "number" ? " · in " + bytes(r.bytesIn) + ", out " + bytes(r.bytesOut || 0) : "") }),
    el("td", { text: typeof r.latencyMs === "number" ? r.latencyMs + " ms" : "" }),
    el("td", { class: "detail", text: r.detail }),
  ]);
}

function virtualServerBlock(v) {
  const head = el("p", {}, [
    el("b", { text: v.name }), " " + v.listen + " · " + v.scheduler + (v.forward && v.forward !== "proxy" ? " · " + v.forward + " " + (v.protocol || "tcp") + " in the kernel" : ""),
    v.group ? " · follows group " + v.group : " · served by every node",
    " · ", el("span", { class: v.serving ? "up" : "muted", text: v.serving ? "serving here" : "not serving here" }),
    " · " + v.active + " active, " + v.total + " total, " + v.refused + " refused · in " + bytes(v.bytesIn) + ", out " + bytes(v.bytesOut),
  ]);
  const table = el("table", {}, [
    el("thead", {}, [el("tr", {}, ["real server", "health", "weight", "connections", "check time", "last check"].map((t) => el("th", { text: t })))]),
    el("tbody", {}, (v.realServers || []).map(realServerRow)),
  ]);
  const sorry = v.sorry
    ? el("p", { class: v.sorry.inUse ? "sorry error" : "sorry muted" },
      ["sorry server " + v.sorry.address + ": " + (v.sorry.inUse ? "IN USE (no real server is healthy), " + v.sorry.active + " active" : "standing by")])
    : null;
  return el("div", { class: "vs", "data-vs": v.name }, [head, table, sorry]);
}

function renderVirtualServers(s) {
  const list = Array.isArray(s.virtual_servers) ? s.virtual_servers : [];
  if (!changed("vs", list)) return;
  $("vs-section").hidden = list.length === 0;
  $("vs-node").textContent = "as " + s.name + " sees them";
  fill($("vs"), list.map(virtualServerBlock));
}
`;

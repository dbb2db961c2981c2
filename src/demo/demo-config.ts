// The demo cluster's configuration: three nodes on loopback, a group "web" (a role script and the
// virtual server's listener) preferring n1, and a virtual server balancing over three app servers.

/** Ports the demo uses, all on 127.0.0.1. */
export interface DemoPorts {
  /** UDP cluster port of node i is cluster + i. */
  cluster: number;
  /** API / web page of node i is api + i. */
  api: number;
  /** The virtual server. */
  site: number;
  /** App server i listens on app + i. */
  app: number;
}

/** Ports starting at `base` (default 7480: web pages on 7480-7482, the site on 8080). */
export function demoPorts(base: number): DemoPorts {
  return { api: base, cluster: base + 10, site: base + 600, app: base + 610 };
}

/** Heartbeat timers of the demo (default 25ms / 150ms, as in production). */
export interface DemoTimers {
  interval: string;
  lease: string;
}

/** The part of a demo's YAML before `groups:`: the cluster, three nodes (node i at `host(i)`), the API. */
export function demoHead(
  title: string,
  name: string,
  dir: string,
  p: DemoPorts,
  timers: DemoTimers,
  host: (i: number) => string,
): string {
  const nodes = [0, 1, 2]
    .map((i) => `  - { name: n${i + 1}, address: "${host(i)}:${p.cluster + i}", priority: ${200 - i * 50} }`)
    .join("\n");
  return `# ${title}
cluster:
  name: ${name}
  key_file: ${dir}/cluster.key
  heartbeat: { interval: ${timers.interval}, lease: ${timers.lease} }
nodes:
${nodes}
api:
  listen: 127.0.0.1:${p.api}
  token_file: ${dir}/api.token
`;
}

/** The demo's YAML. */
export function demoConfig(
  dir: string,
  roleScript: string,
  p: DemoPorts,
  timers: DemoTimers = { interval: "25ms", lease: "150ms" },
): string {
  const apps = [0, 1, 2].map((i) => `      - { address: "127.0.0.1:${p.app + i}", weight: 1 }`).join("\n");
  const title = "vigil demo: three nodes on loopback (made by `vigil demo`)";
  return `${demoHead(title, "demo", dir, p, timers, () => "127.0.0.1")}groups:
  - name: web
    prefer: [n1]
    failback: true
    resources:
      - type: exec
        path: ${roleScript}
        args: [${dir}/web-role]
        monitor: { interval: 1s, timeout: 2s }
        timeouts: { start: 2s, stop: 1s }    # the stop budget (about 4s) bounds a takeover from a silent owner
virtual_servers:
  - name: site
    listen: 127.0.0.1:${p.site}
    group: web
    scheduler: rr
    real_servers:
${apps}
    check: { type: http, path: /health, interval: 500ms, timeout: 400ms, rise: 1, fall: 2 }
`;
}

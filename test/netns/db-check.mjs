// After the faults: waits until every server answers and holds the same GTID position, then checks the
// acknowledged rows of run RUN (and duplicates over every run). Reads { acked, run } JSON on stdin; prints one JSON line per host and a verdict:
// { hosts: [{ host, gtid, rows, missing, duplicates, checksum, readOnly }], converged }.
// Usage: node db-check.mjs PORT USER PASSWORD WAIT_MS HOST...
import mariadb from "mariadb";

const [port, user, password, waitText, ...hosts] = process.argv.slice(2);
const input = JSON.parse(
  await new Promise((r) => {
    let s = "";
    process.stdin.on("data", (c) => (s += c));
    process.stdin.on("end", () => r(s));
  }),
);
const deadline = Date.now() + Number(waitText);

async function read(host) {
  const conn = await mariadb.createConnection({
    host,
    port: Number(port),
    user,
    password,
    connectTimeout: 1000,
    bigIntAsNumber: true,
  });
  try {
    const [v] = await conn.query("SELECT @@gtid_binlog_pos AS gtid, @@read_only AS ro");
    const rows = await conn.query("SELECT run, writer, n, COUNT(*) AS c FROM vigiltest.t GROUP BY run, writer, n");
    const [cs] = await conn.query("CHECKSUM TABLE vigiltest.t");
    return { host, gtid: v.gtid, readOnly: Number(v.ro) === 1, rows, checksum: String(cs.Checksum) };
  } finally {
    conn.destroy();
  }
}

let states = [];
let converged = false;
while (Date.now() < deadline) {
  states = await Promise.all(hosts.map((h) => read(h).catch((e) => ({ host: h, error: e.message }))));
  if (states.every((s) => !s.error) && new Set(states.map((s) => s.gtid)).size === 1) {
    converged = true;
    break;
  }
  await new Promise((r) => setTimeout(r, 300));
}
const out = states.map((s) => {
  if (s.error) return { host: s.host, error: s.error };
  const have = new Map(s.rows.map((r) => [`${r.run}:${r.writer}:${r.n}`, Number(r.c)]));
  return {
    host: s.host,
    gtid: s.gtid,
    readOnly: s.readOnly,
    rows: s.rows.reduce((a, r) => a + Number(r.c), 0),
    missing: input.acked.filter(([w, n]) => !have.has(`${input.run}:${w}:${n}`)).length,
    duplicates: s.rows.filter((r) => Number(r.c) > 1).length,
    checksum: s.checksum,
  };
});
console.log(JSON.stringify({ hosts: out, converged }));
process.exit(0);

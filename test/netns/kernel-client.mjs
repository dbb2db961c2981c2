// The client of the kernel forwarding tests. Prints one JSON line.
//   conns HOST PORT N [SRC...]   N connections one after another (round robin over the SRC addresses,
//                                default any); counts who answered and which client address it saw.
//   udp HOST PORT N              N datagrams, each from a new socket (new source port).
//   hold HOST PORT               one connection kept open: each line on stdin "ping" is sent, the answer
//                                (or the error) printed as a JSON line.
//   load HOST PORT MS PAR        PAR loops of connections for MS ms (0: until stdin closes); counts
//                                successes and failures.
//   download HOST PORT BYTES RATE  "big BYTES", read at about RATE bytes/s, checks every byte.
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { createInterface } from "node:readline";

const [mode, host, portText, ...rest] = process.argv.slice(2);
const port = Number(portText);
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

function once(localAddress) {
  return new Promise((resolve) => {
    const s = connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    let buf = "";
    const t = setTimeout(() => (s.destroy(), resolve({ error: "timeout" })), 3000);
    s.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("\n")) {
        clearTimeout(t);
        s.end();
        const [server, seen] = buf.trim().split(" ");
        resolve({ server, seen });
      }
    });
    s.on("error", (e) => (clearTimeout(t), resolve({ error: e.code ?? e.message })));
  });
}

if (mode === "conns") {
  const n = Number(rest[0]);
  const srcs = rest.slice(1);
  const results = [];
  for (let i = 0; i < n; i++) {
    const src = srcs.length ? srcs[i % srcs.length] : undefined;
    results.push({ src, ...(await once(src)) });
  }
  out({ results });
} else if (mode === "udp") {
  const n = Number(rest[0]);
  const results = [];
  for (let i = 0; i < n; i++) {
    results.push(
      await new Promise((resolve) => {
        const s = createSocket("udp4");
        const t = setTimeout(() => (s.close(), resolve({ error: "timeout" })), 2000);
        s.on("message", (m) => {
          clearTimeout(t);
          s.close();
          const [server, seen] = m.toString().split(" ");
          resolve({ server, seen });
        });
        s.send("hello", port, host);
      }),
    );
  }
  out({ results });
} else if (mode === "hold") {
  const s = connect({ host, port });
  let buf = "";
  s.on("data", (d) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      out({ line: buf.slice(0, nl) });
      buf = buf.slice(nl + 1);
    }
  });
  s.on("error", (e) => out({ error: e.code ?? e.message }));
  s.on("close", () => (out({ closed: true }), process.exit(0)));
  createInterface({ input: process.stdin }).on("line", (l) => s.write(`${l}\n`));
} else if (mode === "load") {
  // MS 0: until stdin closes.
  const [ms, par] = rest.map(Number);
  let end = ms > 0 ? Date.now() + ms : Infinity;
  if (!(ms > 0)) {
    process.stdin.on("end", () => (end = 0));
    process.stdin.resume();
  }
  process.stdout.write("running\n");
  let ok = 0;
  const errors = [];
  const servers = {};
  await Promise.all(
    Array.from({ length: par }, async () => {
      while (Date.now() < end) {
        const r = await once();
        if (r.error) errors.push(r.error);
        else {
          ok++;
          servers[r.server] = (servers[r.server] ?? 0) + 1;
        }
      }
    }),
  );
  out({ ok, errors, servers });
} else if (mode === "download") {
  const [total, rate] = rest.map(Number);
  const s = connect({ host, port });
  let got = -1;
  let bad = -1;
  let header = "";
  const started = Date.now();
  s.on("connect", () => s.write(`big ${total}\n`));
  s.on("data", (d) => {
    let i = 0;
    if (got < 0) {
      const nl = d.indexOf(10);
      header += d.subarray(0, nl < 0 ? d.length : nl).toString();
      if (nl < 0) return;
      i = nl + 1;
      got = 0;
      out({ started: true, header });
    }
    for (; i < d.length; i++, got++) if (bad < 0 && d[i] !== got % 251) bad = got;
    const due = (got / rate) * 1000 - (Date.now() - started);
    if (due > 5) {
      s.pause();
      setTimeout(() => s.resume(), due);
    }
  });
  const finish = (error) => {
    out({ done: true, header, got, bad, error, ms: Date.now() - started });
    process.exit(0);
  };
  s.on("error", (e) => finish(e.code ?? e.message));
  s.on("end", () => finish(undefined));
}

// Real TCP servers on loopback that stand in for real servers behind a virtual server, each with a
// behaviour: answer with its name, reset, hang, close half-way. closeAll() in `after` removes them.
import { spawn } from "node:child_process";
import { createServer, connect, type Server, type Socket } from "node:net";

/** How a backend treats a connection. */
export type Behaviour =
  "name" | "echo" | "reset" | "hang" | "half-close" | "close-first" | "die-mid-answer" | "proxy-header" | "stream";

/** A running backend. */
export interface Backend {
  name: string;
  port: number;
  address: string;
  server: Server;
  /** Connections accepted. */
  accepted: number;
  /** Sockets currently open on the backend side. */
  open: Set<Socket>;
  /** Raw first bytes of each connection (proxy-header behaviour). */
  firstBytes: Buffer[];
  /** Everything each connection received before the client's FIN (close-first behaviour). */
  received: string[];
}

const running: Backend[] = [];

/** Starts a backend on 127.0.0.1 with `behaviour`. */
export async function startBackend(name: string, behaviour: Behaviour = "name"): Promise<Backend> {
  const b: Backend = {
    name,
    port: 0,
    address: "",
    server: createServer({ allowHalfOpen: true }),
    accepted: 0,
    open: new Set(),
    firstBytes: [],
    received: [],
  };
  b.server.on("connection", (s) => {
    b.accepted++;
    b.open.add(s);
    s.on("close", () => b.open.delete(s));
    s.on("error", () => undefined);
    if (behaviour !== "half-close" && behaviour !== "close-first")
      s.once("end", () => void (s.writableEnded || s.end()));
    switch (behaviour) {
      case "name":
        s.end(`${name}\n`);
        s.resume();
        break;
      case "echo":
        s.pipe(s);
        break;
      case "reset":
        s.once("data", () => s.resetAndDestroy());
        break;
      case "hang":
        s.resume();
        break;
      case "half-close":
        s.write("partial-");
        s.on("data", (d) => s.write(d));
        s.once("end", () => s.end("done\n"));
        break;
      case "close-first": {
        let got = "";
        s.end("early\n");
        s.on("data", (d: Buffer) => (got += d.toString()));
        s.once("end", () => b.received.push(got));
        break;
      }
      case "die-mid-answer":
        s.write(Buffer.alloc(100_000, 0x61), () => s.destroy());
        s.resume();
        break;
      case "proxy-header":
        s.once("data", (d: Buffer) => {
          b.firstBytes.push(d);
          s.end("ok\n");
        });
        break;
      case "stream": {
        const chunk = Buffer.alloc(64 * 1024, 1);
        const pump = () => {
          while (!s.destroyed && s.write(chunk));
        };
        s.on("drain", pump);
        pump();
        break;
      }
    }
  });
  await new Promise<void>((r) => b.server.listen(0, "127.0.0.1", r));
  b.port = (b.server.address() as { port: number }).port;
  b.address = `127.0.0.1:${b.port}`;
  running.push(b);
  return b;
}

/** A loopback port with nothing listening (connections are refused). */
export async function refusingAddress(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return `127.0.0.1:${port}`;
}

/** A loopback address whose listener never accepts and whose queue is full, so a connect to it gets no
 * answer at all (the kernel drops the SYN), as with a server that is powered off or firewalled. Runs
 * a perl process holding the socket; `stop` kills it. */
export async function unansweredAddress(): Promise<{ address: string; stop: () => void }> {
  const perl = spawn(
    "perl",
    [
      "-MSocket",
      "-e",
      'socket(S, PF_INET, SOCK_STREAM, 0) or die; bind(S, pack_sockaddr_in(0, inet_aton("127.0.0.1"))) or die; listen(S, 0) or die; $| = 1; print((unpack_sockaddr_in(getsockname(S)))[0], "\\n"); sleep 600;',
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    perl.once("error", reject);
    perl.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  const fillers = [connect(port, "127.0.0.1"), connect(port, "127.0.0.1")].map((s) => s.on("error", () => undefined));
  await new Promise((r) => setTimeout(r, 50));
  return {
    address: `127.0.0.1:${port}`,
    stop: () => {
      for (const f of fillers) f.destroy();
      perl.kill("SIGKILL");
    },
  };
}

/** Stops a backend, closing its open connections. */
export async function stopBackend(b: Backend): Promise<void> {
  for (const s of b.open) s.destroy();
  await new Promise((r) => b.server.close(r));
}

/** Stops every backend started by this test file. */
export async function closeAll(): Promise<void> {
  await Promise.all(running.splice(0).map((b) => (b.server.listening ? stopBackend(b) : undefined)));
}

/** Connects to `port`, sends `send` (then half-closes when `end`), resolves with everything received. */
export function exchange(
  port: number,
  send = "",
  end = true,
  timeoutMs = 3000,
): Promise<{ data: string; error?: string }> {
  return new Promise((resolve) => {
    const s: Socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    let data = "";
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ data, error: "timeout" });
    }, timeoutMs);
    s.on("connect", () => {
      if (send) s.write(send);
      if (end) s.end();
    });
    s.on("data", (d) => (data += d.toString()));
    s.on("end", () => void (s.writableEnded || s.end()));
    s.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ data, error: e.code ?? e.message });
    });
    s.on("close", () => {
      clearTimeout(timer);
      resolve({ data });
    });
  });
}

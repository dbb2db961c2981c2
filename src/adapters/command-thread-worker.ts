// The command thread (see command-thread.ts): runs each command it is sent and answers how it ended.
import { parentPort } from "node:worker_threads";
import type { CommandReply, CommandRequest } from "./command-thread.js";
import { runCommandHere } from "./run-command.js";

const port = parentPort;
if (!port) throw new Error("command-thread-worker runs only as a worker thread");
const aborts = new Map<number, AbortController>();

port.on("message", (m: CommandRequest) => {
  if (m.t === "abort") return aborts.get(m.id)?.abort();
  const abort = new AbortController();
  aborts.set(m.id, abort);
  void runCommandHere(m.path, m.args, { ...m.options, signal: abort.signal }).then((result) => {
    aborts.delete(m.id);
    port.postMessage({ id: m.id, result } satisfies CommandReply);
  });
});

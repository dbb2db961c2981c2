// The command helper (see command-helper.ts): runs each command the daemon sends and answers how it
// ended. It lives as long as its pipe to the daemon: signals of the daemon's terminal or service manager
// (SIGINT, SIGTERM, SIGHUP) are ignored, so the daemon can still stop its groups through it; when the
// daemon is gone (even SIGKILLed) the pipe closes and the helper exits.
import type { CommandReply, CommandRequest } from "./command-helper.js";
import { runCommandHere } from "./run-command.js";

if (!process.send) throw new Error("command-helper-process runs only as the daemon's command helper");
for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, () => undefined);
process.on("disconnect", () => process.exit(0));
const aborts = new Map<number, AbortController>();

process.on("message", (m: CommandRequest) => {
  if (m.t === "abort") return aborts.get(m.id)?.abort();
  const abort = new AbortController();
  aborts.set(m.id, abort);
  void runCommandHere(m.path, m.args, { ...m.options, signal: abort.signal }).then((result) => {
    aborts.delete(m.id);
    if (process.connected) process.send?.({ id: m.id, result } satisfies CommandReply);
  });
});

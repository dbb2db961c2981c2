// The stand-in for a resource's long-running process in the namespace tests: appends "start T" to the
// file given, then idles; on SIGTERM appends "end T" and exits (T: CLOCK_MONOTONIC in ms, which every
// namespace of the machine shares). A SIGKILL leaves the record to activity-watch.mjs.
import { appendFileSync } from "node:fs";

const file = process.argv[2];
const now = () => (Number(process.hrtime.bigint()) / 1e6).toFixed(3);
appendFileSync(file, `start ${now()}\n`);
setInterval(() => undefined, 60_000);
process.on("SIGTERM", () => {
  appendFileSync(file, `end ${now()}\n`);
  process.exit(0);
});

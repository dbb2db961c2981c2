// The stand-in for a resource's long-running process in the namespace tests: appends "start T", then
// "tick T" every 2ms, and "end T" on SIGTERM, to the file given (T: CLOCK_MONOTONIC in ms, which every
// namespace of the machine shares). SIGKILLed, it just stops ticking.
import { appendFileSync } from "node:fs";

const file = process.argv[2];
const now = () => (Number(process.hrtime.bigint()) / 1e6).toFixed(3);
appendFileSync(file, `start ${now()}\n`);
setInterval(() => appendFileSync(file, `tick ${now()}\n`), 2);
process.on("SIGTERM", () => {
  appendFileSync(file, `end ${now()}\n`);
  process.exit(0);
});

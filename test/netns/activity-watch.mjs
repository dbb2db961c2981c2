// Watches a holder (activity-holder.mjs) from outside its resource (started without the resource's tag,
// so escalation does not kill it): appends "dead T" to the file once the holder has exited or is a
// zombie. It checks every 5ms; when starved it writes late, which only makes the recorded
// activity longer, never shorter.
import { appendFileSync, readFileSync } from "node:fs";

const [pid, file] = process.argv.slice(2);
const alive = () => {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
};
const timer = setInterval(() => {
  if (alive()) return;
  appendFileSync(file, `dead ${(Number(process.hrtime.bigint()) / 1e6).toFixed(3)}\n`);
  clearInterval(timer);
}, 5);

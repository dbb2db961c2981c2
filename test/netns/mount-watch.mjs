// Watches the mount tables of several hosts for one block device: every POLL_MS it reads
// /proc/PID/mounts of a process of each host (the holder of its mount namespace) and prints
// "mount HOST T" when the device appeared there and "umount HOST T" when it is gone (T: CLOCK_MONOTONIC
// in ms, the clock of test/helpers/activity.ts). Each interval is dated as long as it could have been: a
// mount at the start of the last poll that did not see it yet, an unmount at the end of the first poll
// that no longer saw it. A starved watcher therefore only makes intervals longer, never hides an overlap
// (unless a mount came and went between two polls). Prints "watching" once the first poll is done,
// "error HOST MESSAGE" when a table cannot be read, and on SIGTERM "polls N maxgap MS" before it exits.
// Usage: node mount-watch.mjs DEVICE POLL_MS HOST=PID...
import { readFileSync } from "node:fs";

const [device, pollText, ...hostArgs] = process.argv.slice(2);
const hosts = hostArgs.map((a) => {
  const [host, pid] = a.split("=");
  return { host, pid, mounted: false, lastUnseen: 0, failed: false };
});
const now = () => Number(process.hrtime.bigint()) / 1e6;
let polls = 0;
let maxGap = 0;
let lastPoll;

function mountedIn(h) {
  try {
    return readFileSync(`/proc/${h.pid}/mounts`, "utf8")
      .split("\n")
      .some((l) => l.startsWith(`${device} `));
  } catch (err) {
    if (!h.failed) console.log(`error ${h.host} ${err.message}`);
    h.failed = true;
    return h.mounted;
  }
}

function poll() {
  const start = now();
  const seen = hosts.map(mountedIn);
  const end = now();
  hosts.forEach((h, i) => {
    if (seen[i] && !h.mounted) console.log(`mount ${h.host} ${(polls === 0 ? start : h.lastUnseen).toFixed(3)}`);
    if (!seen[i] && h.mounted) console.log(`umount ${h.host} ${end.toFixed(3)}`);
    if (!seen[i]) h.lastUnseen = start;
    h.mounted = seen[i];
  });
  if (lastPoll !== undefined) maxGap = Math.max(maxGap, start - lastPoll);
  lastPoll = start;
  if (polls++ === 0) console.log("watching");
}

poll();
setInterval(poll, Number(pollText));
process.on("SIGTERM", () => {
  console.log(`polls ${polls} maxgap ${maxGap.toFixed(1)}`);
  process.exit(0);
});

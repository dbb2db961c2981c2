// `track:` (where a group may run) and the compatibility options of `notify`, as zod schemas. A track
// check runs on every node for itself; a group is eligible on a node only while each of its checks
// passes there.
import { z } from "zod";
import { parseNodeAddress } from "../net/address.js";
import { parseDuration } from "./duration.js";
import { absolutePath, argList } from "./kernel-strings.js";
import { MAX_NAME_LENGTH, NAME_PATTERN } from "./limits.js";

/** The most track checks on one group (each is a line in every status and a check loop on every node). */
export const MAX_TRACKS_PER_GROUP = 16;

const duration = z.string({ error: 'expected a duration such as "50ms", "1.5s" or "2m"' }).transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1) {
    ctx.addIssue({ code: "custom", message: `expected a duration such as "50ms", "1.5s" or "2m", got "${text}"` });
    return z.NEVER;
  }
  return ms;
});
const count = z
  .number({ error: (iss) => (iss.code === "invalid_type" ? "expected a whole number" : undefined) })
  .int({ error: "expected a whole number" })
  .min(1)
  .max(100);
const name = z.string({ error: "expected a name" }).refine((s) => s.length <= MAX_NAME_LENGTH && NAME_PATTERN.test(s), {
  error: `expected a group name of letters, digits, '_', '.', '-' (at most ${MAX_NAME_LENGTH})`,
});

/** A network interface name as the kernel takes it (at most 15 characters). */
export const interfaceName = z
  .string({ error: "expected an interface name" })
  .regex(/^[A-Za-z0-9_.:@-]{1,15}$/, { error: "expected an interface name such as eth0" });

/** `{ type: group, name }`: the clone group `name` runs healthy on this node. */
const trackGroup = z.strictObject({
  type: z.literal("group"),
  /** A group with `clone: true`. */
  name,
});

/** `{ type: interface, name }`: the link is up (the kernel's carrier and operational state). */
const trackInterface = z.strictObject({
  type: z.literal("interface"),
  name: interfaceName,
  /** How often the kernel's state is read (default 200ms). */
  interval: duration.default(200),
  /** Readings in a row that bring a down link back (default 1). */
  rise: count.default(1),
  /** Readings in a row that take an up link down (default 1). */
  fall: count.default(1),
});

/** `{ type: ping, address }`: ICMP echo to IP, or a TCP connect to IP:PORT, answers within `timeout`. */
const trackPing = z.strictObject({
  type: z.literal("ping"),
  address: z
    .string({ error: "expected an IP address, or IP:PORT for a TCP check" })
    .refine((s) => parseNodeAddress(s, 0) !== undefined, {
      error: (iss) => `expected an IP address, or IP:PORT for a TCP check, got "${String(iss.input)}"`,
    }),
  /** Time from the start of one check to the start of the next (default 1s). */
  interval: duration.default(1000),
  /** How long one check may take (default 1s). */
  timeout: duration.default(1000),
  /** Successes in a row that make a failing target pass again (default 2). */
  rise: count.default(2),
  /** Failures in a row that make a passing target fail (default 3). */
  fall: count.default(3),
});

/** `{ type: exec, path }`: `PATH ARGS...` exits 0 within `timeout` (anything else, or a kill, fails). */
const trackExec = z.strictObject({
  type: z.literal("exec"),
  path: absolutePath,
  args: argList.default([]),
  /** Time from the start of one run to the start of the next (default 2s). */
  interval: duration.default(2000),
  /** How long one run may take; it is killed with its process group after (default 1s). */
  timeout: duration.default(1000),
  /** Passing runs in a row that make a failing check pass again (default 2). */
  rise: count.default(2),
  /** Failing runs in a row that make a passing check fail (default 2). */
  fall: count.default(2),
});

/** One track check. */
export const trackCheckSchema = z.discriminatedUnion("type", [trackGroup, trackInterface, trackPing, trackExec], {
  error: "expected a track check with type group, interface, ping or exec",
});

/** `track:` of a group: every check must pass on a node for the group to run there. */
export const trackSchema = z
  .array(trackCheckSchema)
  .max(MAX_TRACKS_PER_GROUP, { error: `a group may track at most ${MAX_TRACKS_PER_GROUP} checks` })
  .default([]);

/** `notify:` of a group: a script path (called `SCRIPT GROUP NODE STATE`), or the long form with a
 * calling convention: `vigil` (`SCRIPT ARGS... GROUP NODE STATE`, state master | backup | fault |
 * stopped) or `keepalived` (`SCRIPT ARGS... TYPE NAME STATE PRIORITY`, state MASTER | BACKUP | FAULT |
 * STOP, as keepalived's `notify`). */
export const notifySchema = z.union(
  [
    absolutePath,
    z.strictObject({
      path: absolutePath,
      args: argList.default([]),
      convention: z.enum(["vigil", "keepalived"], { error: "expected vigil or keepalived" }).default("vigil"),
      /** keepalived: the TYPE argument (default INSTANCE, as a vrrp_instance's notify). */
      type: z.enum(["INSTANCE", "GROUP"], { error: "expected INSTANCE or GROUP" }).optional(),
      /** keepalived: the NAME argument (default the group's name; e.g. the old vrrp_instance name). */
      name: z
        .string({ error: "expected a name" })
        .regex(/^[^\0\s]{1,255}$/, { error: "expected a name without spaces" })
        .optional(),
    }),
  ],
  { error: "expected a script path, or { path, args, convention: vigil | keepalived }" },
);

/** One track check, with defaults filled in. */
export type TrackCheckConfig = z.output<typeof trackCheckSchema>;
/** A group's notify setting as written. */
export type NotifyConfig = z.output<typeof notifySchema>;

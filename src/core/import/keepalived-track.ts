// vrrp_script + track_script and track_interface as vigil `track:` checks. Weight 0 (keepalived's
// default) means a failing check takes the VIP away: exactly a track. A weight only changes the
// node's priority; it moved the VIP only when the change crossed the peer's priority and the peer
// preempts. Such a check still becomes a track (a failing check makes the node ineligible), with a
// comment; one that could never move the VIP (any weight with nopreempt) is flagged.
import { formatDuration } from "../config/duration.js";
import type { KeyPath } from "../config/issues.js";
import { Draft, secondsToMs, splitCommand, wholeNumber } from "./draft.js";
import type { TrackRef } from "./keepalived-instance.js";
import type { KaStmt } from "./keepalived-syntax.js";
import type { SourcePos } from "./types.js";

/** A vrrp_script as defined. */
export interface ScriptDef {
  name: string;
  words: string[];
  intervalMs: number;
  timeoutMs?: number;
  weight: number;
  rise: number;
  fall: number;
  at: SourcePos;
}

/** Reads a vrrp_script block (keepalived defaults: interval 1s, weight 0, rise 1, fall 1). */
export function readScript(d: Draft, stmt: KaStmt): ScriptDef {
  const def: ScriptDef = {
    name: stmt.args[0] ?? "",
    words: [],
    intervalMs: 1000,
    weight: 0,
    rise: 1,
    fall: 1,
    at: stmt.at,
  };
  for (const s of stmt.block ?? []) {
    const arg = s.args[0];
    switch (s.keyword) {
      case "script":
        def.words = splitCommand(s.args.join(" "));
        break;
      case "interval":
        def.intervalMs = secondsToMs(arg) || 1000;
        break;
      case "timeout":
        def.timeoutMs = secondsToMs(arg);
        break;
      case "weight":
        def.weight = wholeNumber(arg) ?? 0;
        if (s.args[1] === "reverse")
          d.note(s.at, "unmapped", `vrrp_script ${def.name}: "reverse" weights are not imported`);
        break;
      case "rise":
        def.rise = Math.max(1, wholeNumber(arg) ?? 1);
        break;
      case "fall":
        def.fall = Math.max(1, wholeNumber(arg) ?? 1);
        break;
      case "user":
        d.note(
          s.at,
          "unmapped",
          `vrrp_script ${def.name}: user ${s.args.join(" ")}: vigil runs track scripts as its own user (root)`,
        );
        break;
      case "init_fail":
        d.note(
          s.at,
          "unmapped",
          `vrrp_script ${def.name}: init_fail: a track starts failing until its first checks pass`,
        );
        break;
      default:
        d.unknown(s.at, s.keyword, `vrrp_script ${def.name}`);
    }
  }
  if (def.words.length === 0)
    d.note(stmt.at, "unmapped", `vrrp_script ${def.name} has no script line; it cannot be tracked`);
  return def;
}

/** Whether a weighted check could ever move the VIP in keepalived, and why. */
export interface WeightEffect {
  moves: boolean;
  why: string;
}

/** How priorities decide whether weight `w` moves the VIP: it must take the preferred node's priority
 * below the next node's, and the next node must preempt. */
export function weightEffect(w: number, priorities: readonly number[], nextNopreempt: boolean): WeightEffect {
  const [top, next] = [...priorities].sort((a, b) => b - a);
  if (next === undefined || top === undefined)
    return { moves: false, why: "there is only one node, so a priority change moves nothing" };
  if (nextNopreempt)
    return {
      moves: false,
      why: "with nopreempt the backup never takes over from a master that is still alive, whatever its priority",
    };
  const gap = top - next;
  if (Math.abs(w) <= gap) return { moves: false, why: `weight ${w} cannot bring priority ${top} below ${next}` };
  return { moves: true, why: `weight ${w} took priority ${top} below the backup's ${next}, so the VIP moved` };
}

/** A track check for `ref` (undefined when its script is missing); comments at `path`. */
export function mapTrack(
  d: Draft,
  ref: TrackRef,
  scripts: ReadonlyMap<string, ScriptDef>,
  effect: (w: number) => WeightEffect,
  path: KeyPath,
): Record<string, unknown> | undefined {
  let out: Record<string, unknown>;
  let weight = ref.weight ?? 0;
  if (ref.kind === "interface") out = { type: "interface", name: ref.name };
  else {
    const def = scripts.get(ref.name);
    if (!def) {
      d.note(ref.at, "unmapped", `track_script ${ref.name}: no vrrp_script of that name`);
      return undefined;
    }
    if (def.words.length === 0) return undefined;
    weight = ref.weight ?? def.weight;
    out = execTrack(d, def, path);
  }
  if (weight !== 0) {
    const e = effect(weight);
    if (e.moves)
      d.approx(
        path,
        `keepalived ${ref.kind} ${ref.name} had weight ${weight}: ${e.why}; as a track, a failing check makes the node ineligible for the group`,
        ref.at,
      );
    else {
      d.approx(
        path,
        `CHECK THIS: keepalived ${ref.kind} ${ref.name} (weight ${weight}) never moved the VIP (${e.why}); as a track it does; remove it if it only was for show`,
        ref.at,
      );
      d.note(
        ref.at,
        "unmapped",
        `${ref.kind} ${ref.name}: its weight ${weight} never moved the VIP (${e.why}); imported as a track, which does`,
      );
    }
  }
  return out;
}

function execTrack(d: Draft, def: ScriptDef, path: KeyPath): Record<string, unknown> {
  const [first, ...args] = def.words as [string, ...string[]];
  let cmd = first;
  if (!cmd.startsWith("/")) {
    d.approx(
      [...path, "path"],
      `keepalived found "${cmd}" on PATH; vigil needs an absolute path: check /usr/bin/${cmd}`,
      def.at,
    );
    cmd = `/usr/bin/${cmd}`;
  }
  const out: Record<string, unknown> = { type: "exec", path: cmd };
  if (args.length > 0) out.args = args;
  out.interval = formatDuration(def.intervalMs);
  let timeout = def.timeoutMs ?? def.intervalMs;
  if (timeout > def.intervalMs) {
    d.approx(
      [...path, "timeout"],
      `keepalived timeout ${formatDuration(timeout)} exceeded its interval; vigil needs timeout <= interval`,
      def.at,
    );
    timeout = def.intervalMs;
  }
  out.timeout = formatDuration(timeout);
  out.rise = def.rise;
  out.fall = def.fall;
  return out;
}

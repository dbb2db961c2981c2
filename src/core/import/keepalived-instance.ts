// One vrrp_instance of one node's keepalived.conf, read into what vigil needs: priority, preemption,
// timers, addresses, tracked scripts and interfaces, notify. What has no meaning for vigil is noted.
import { parseCidr, parseIp } from "../net/address.js";
import { Draft, secondsToMs, wholeNumber } from "./draft.js";
import { instanceReason } from "./keepalived-words.js";
import type { KaStmt } from "./keepalived-syntax.js";
import type { SourcePos } from "./types.js";

/** A tracked script or interface, with keepalived's weight when one was given. */
export interface TrackRef {
  kind: "script" | "interface";
  name: string;
  weight?: number;
  at: SourcePos;
}

/** A virtual address as vigil writes it, with the keepalived options that were dropped. */
export interface VipSpec {
  address: string;
  iface?: string;
  defaultPrefix: boolean;
  dropped: string[];
  at: SourcePos;
}

/** A notify script: its words and the keyword it came from. */
export interface NotifySpec {
  keyword: string;
  words: string[];
  at: SourcePos;
}

/** What one node says about one vrrp_instance. */
export interface InstanceView {
  node: string;
  name: string;
  at: SourcePos;
  state?: string;
  priority: number;
  nopreempt: boolean;
  preemptDelay?: string;
  advertMs?: number;
  iface?: string;
  vrid?: string;
  srcIp?: string;
  peers: string[];
  vips: VipSpec[];
  tracks: TrackRef[];
  notify: NotifySpec[];
  garpRefresh?: { seconds: string; at: SourcePos };
}

const VIP_OPTIONS = new Set(["dev", "brd", "broadcast", "scope", "label", "peer", "metric", "table", "preferred_lft"]);
const VIP_FLAGS = new Set(["home", "-nodad", "nodad", "noprefixroute", "autojoin", "no_track", "use_vmac"]);

/** Reads a vrrp_instance block as node `node` wrote it. */
export function readInstance(d: Draft, node: string, stmt: KaStmt): InstanceView {
  const v: InstanceView = {
    node,
    name: stmt.args[0] ?? "VI",
    at: stmt.at,
    priority: 100,
    nopreempt: false,
    peers: [],
    vips: [],
    tracks: [],
    notify: [],
  };
  for (const s of stmt.block ?? []) {
    const arg = s.args[0];
    switch (s.keyword) {
      case "state":
        v.state = arg?.toUpperCase();
        break;
      case "priority":
        v.priority = wholeNumber(arg) ?? 100;
        break;
      case "nopreempt":
        v.nopreempt = true;
        break;
      case "preempt":
        v.nopreempt = false;
        break;
      case "preempt_delay":
        v.preemptDelay = arg;
        break;
      case "advert_int": {
        const ms = secondsToMs(arg);
        if (ms === undefined || ms === 0)
          d.note(s.at, "unmapped", `advert_int "${arg ?? ""}" is not a number of seconds`);
        else v.advertMs = ms;
        break;
      }
      case "interface":
        v.iface = arg;
        break;
      case "virtual_router_id":
        v.vrid = arg;
        d.note(s.at, "unmapped", `virtual_router_id: ${instanceReason(s.keyword)}`);
        break;
      case "unicast_src_ip":
      case "mcast_src_ip":
        v.srcIp = arg;
        break;
      case "unicast_peer":
        for (const p of s.block ?? []) v.peers.push(p.keyword);
        break;
      case "virtual_ipaddress":
      case "virtual_ipaddress_excluded":
        for (const a of s.block ?? []) v.vips.push(...readVips(d, [a.keyword, ...a.args], a.at));
        break;
      case "track_script":
      case "track_interface":
        for (const t of s.block ?? [])
          v.tracks.push(
            ...readTracks(d, s.keyword === "track_script" ? "script" : "interface", [t.keyword, ...t.args], t.at),
          );
        break;
      case "notify":
      case "notify_master":
      case "notify_backup":
      case "notify_fault":
      case "notify_stop":
      case "notify_master_rx_lower_pri":
        v.notify.push({ keyword: s.keyword, words: s.args, at: s.at });
        break;
      case "garp_master_refresh":
        if (arg !== undefined && arg !== "0") v.garpRefresh = { seconds: arg, at: s.at };
        break;
      case "authentication":
        d.note(
          s.at,
          "secret",
          "authentication (its password is not copied): vigil authenticates every packet with HMAC-SHA256 under cluster.key_file; make the key with `vigil keygen`",
        );
        break;
      default: {
        const why = instanceReason(s.keyword);
        if (why) d.note(s.at, "unmapped", `${s.keyword}: ${why}`);
        else d.unknown(s.at, s.keyword, `vrrp_instance ${v.name}`);
      }
    }
  }
  return v;
}

/** Reads one line of virtual_ipaddress: `ADDR[/PREFIX] [dev IF] [brd ..] [label ..] ...`; a second
 * address on the same line (braces on one line) starts a new entry. */
export function readVips(d: Draft, words: readonly string[], at: SourcePos): VipSpec[] {
  const out: VipSpec[] = [];
  let cur: VipSpec | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (cur && VIP_OPTIONS.has(w)) {
      const value = words[++i] ?? "";
      if (w === "dev") cur.iface = value;
      else cur.dropped.push(`${w} ${value}`);
    } else if (cur && VIP_FLAGS.has(w)) cur.dropped.push(w);
    else {
      const withPrefix = w.includes("/") ? w : undefined;
      const ip = parseIp(withPrefix ? w.slice(0, w.indexOf("/")) : w);
      if (!ip || (withPrefix && !parseCidr(w))) {
        d.note(at, "unmapped", `"${w}" in virtual_ipaddress is not an address (IP or IP/PREFIX); skipped`);
        cur = undefined;
        continue;
      }
      cur = {
        address: withPrefix ? `${ip.text}${w.slice(w.indexOf("/"))}` : `${ip.text}/${ip.family === 4 ? 32 : 128}`,
        defaultPrefix: !withPrefix,
        dropped: [],
        at,
      };
      out.push(cur);
    }
  }
  return out;
}

/** Reads one line of track_script / track_interface: `NAME [weight N]`, several names on one line allowed. */
function readTracks(d: Draft, kind: TrackRef["kind"], words: readonly string[], at: SourcePos): TrackRef[] {
  const out: TrackRef[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === "weight" && out.length > 0) {
      const weight = wholeNumber(words[++i]);
      const last = out[out.length - 1] as TrackRef;
      if (weight === undefined)
        d.note(at, "unmapped", `track ${last.name}: weight "${words[i] ?? ""}" is not a number`);
      else last.weight = weight;
      if (words[i + 1] === "reverse") {
        i++;
        d.note(
          at,
          "unmapped",
          `track ${last.name}: "reverse" weights are not imported; the track passes when the check passes`,
        );
      }
    } else out.push({ kind, name: w, at });
  }
  return out;
}

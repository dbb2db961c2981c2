// What keepalived keywords mean to vigil when they have no mapping: one reason per keyword, so the list
// of what was not imported says why, and anything not listed here is reported as unknown.

/** global_defs keywords, by reason. */
const GLOBAL_REASONS: [string[], string][] = [
  [
    [
      "notification_email",
      "notification_email_from",
      "smtp_server",
      "smtp_connect_timeout",
      "smtp_helo",
      "smtp_alert",
      "smtp_alert_vrrp",
      "smtp_alert_checker",
      "email_faults",
    ],
    "vigil sends no mail; a group's notify script can (it is called on every state change)",
  ],
  [["router_id"], "a node is named by --node NAME and picks itself by name or address"],
  [
    ["enable_script_security", "script_user"],
    "vigil runs scripts as its own user (root) without a shell; check that the imported script paths are owned by root and not writable by others",
  ],
  [
    [
      "vrrp_skip_check_adv_addr",
      "vrrp_strict",
      "vrrp_garp_interval",
      "vrrp_gna_interval",
      "vrrp_version",
      "vrrp_iptables",
      "vrrp_ipsets",
      "vrrp_check_unicast_src",
      "vrrp_mcast_group4",
      "vrrp_mcast_group6",
      "vrrp_garp_master_delay",
      "vrrp_garp_master_refresh",
      "vrrp_garp_master_refresh_repeat",
      "vrrp_garp_master_repeat",
      "vrrp_garp_lower_prio_delay",
      "vrrp_garp_lower_prio_repeat",
      "vrrp_lower_prio_no_advert",
      "vrrp_higher_prio_send_advert",
      "vrrp_priority",
      "vrrp_no_swap",
      "vrrp_rt_priority",
      "vrrp_rlimit_rtime",
      "vrrp_startup_delay",
      "vrrp_min_garp",
      "vrrp_notify_fifo",
      "vrrp_notify_fifo_script",
      "max_auto_priority",
      "dynamic_interfaces",
      "vrrp_netlink_cmd_rcv_bufs",
      "vrrp_netlink_monitor_rcv_bufs",
      "random_seed",
    ],
    "VRRP tuning: vigil does not speak VRRP (its heartbeat is authenticated UDP between the nodes; a takeover sends gratuitous ARP at 0, 150 and 500ms)",
  ],
  [
    [
      "lvs_id",
      "lvs_sync_daemon",
      "lvs_timeouts",
      "lvs_flush",
      "lvs_flush_onstop",
      "checker_priority",
      "checker_no_swap",
      "checker_rt_priority",
      "checker_process_priority",
      "checker_rlimit_rtime",
      "lvs_notify_fifo",
      "lvs_notify_fifo_script",
      "bfd_priority",
      "bfd_no_swap",
    ],
    "LVS and process tuning with no vigil equivalent (its balancer is a proxy in the daemon)",
  ],
  [
    ["notify_fifo", "notify_fifo_script", "script_process_priority"],
    "no vigil equivalent; a group's notify script gets every state change",
  ],
  [
    [
      "enable_snmp_vrrp",
      "enable_snmp_checker",
      "enable_snmp_rfc",
      "enable_snmp_rfcv2",
      "enable_snmp_rfcv3",
      "enable_traps",
      "snmp_socket",
    ],
    "vigil exports Prometheus metrics at /metrics instead of SNMP",
  ],
  [["enable_dbus", "enable_dbus_instance_name"], "no D-Bus interface; use the HTTP API"],
];

/** vrrp_instance keywords that are not mapped, by reason. */
const INSTANCE_REASONS: [string[], string][] = [
  [["virtual_router_id"], "not needed: vigil names groups instead of VRRP router ids"],
  [
    [
      "version",
      "accept",
      "no_accept",
      "strict_mode",
      "skip_check_adv_addr",
      "check_unicast_src",
      "unicast_ttl",
      "kernel_rx_buf_size",
      "mcast_dst_ip",
      "debug",
      "native_ipv6",
      "dont_track_primary",
      "use_vmac",
      "vmac_xmit_base",
      "garp_master_delay",
      "garp_master_repeat",
      "garp_lower_prio_delay",
      "garp_lower_prio_repeat",
      "garp_master_refresh_repeat",
      "lower_prio_no_advert",
      "higher_prio_send_advert",
    ],
    "VRRP protocol tuning with no vigil equivalent",
  ],
  [
    ["virtual_routes", "virtual_rules"],
    "vigil moves addresses only, not routes or rules; add them with an exec resource after the vip",
  ],
  [["lvs_sync_daemon_interface"], "no LVS connection sync: vigil's proxy keeps no kernel connection table"],
  [["smtp_alert"], "vigil sends no mail; a group's notify script can"],
  [
    ["track_file", "track_process", "track_bfd"],
    "not imported: vigil tracks groups, interfaces, ping targets and scripts; an exec track (a script) can check a file or a process",
  ],
];

function table(rows: [string[], string][]): Map<string, string> {
  return new Map(rows.flatMap(([words, why]) => words.map((w) => [w, why] as const)));
}

/** Why a global_defs keyword is not imported; undefined for unknown keywords. */
export const globalReason = (kw: string): string | undefined => GLOBAL_TABLE.get(kw);
/** Why a vrrp_instance keyword is not imported; undefined for unknown keywords. */
export const instanceReason = (kw: string): string | undefined => INSTANCE_TABLE.get(kw);

const GLOBAL_TABLE = table(GLOBAL_REASONS);
const INSTANCE_TABLE = table(INSTANCE_REASONS);

/** Why a top-level keyword is not imported. */
export const TOP_LEVEL_REASONS: Record<string, string> = {
  virtual_server_group: "virtual server groups are not imported; write one virtual server per address",
  static_ipaddress: "static addresses do not move; configure them in the system's network setup",
  static_routes: "static routes do not move; configure them in the system's network setup",
  static_rules: "static rules do not move; configure them in the system's network setup",
  vrrp_track_process: "not imported: an exec track (a script such as `pidof NAME`) can check a process",
  track_file: "not imported: an exec track (a script) can read a file",
  vrrp_track_file: "not imported: an exec track (a script) can read a file",
  linkbeat_interfaces: "not needed: an interface track reads the kernel's link state",
  bfd_instance: "no BFD: vigil's own heartbeat detects a dead peer within the lease",
  garp_group: "not imported: a vip's garp_refresh repeats its gratuitous ARP",
  net_namespace: "not imported: run vigil inside the namespace instead",
};

#!/bin/sh
# The demo group's resource, an LSB-style script: `role.sh start|stop|status STATE_FILE`.
# It records that this node holds the demo's "web" role (a stand-in for a real service). The demo's
# three nodes share one host, so the state file is kept per calling daemon (its pid is our parent's).
action="$1"; file="$2.$PPID"
case "$action" in
  start) date +%T > "$file" ;;
  stop) rm -f "$file" ;;
  status) [ -f "$file" ] && exit 0 || exit 3 ;;
  *) echo "usage: $0 start|stop|status FILE" >&2; exit 2 ;;
esac

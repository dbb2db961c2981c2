#!/bin/sh
# A service for namespace tests, LSB style: its state lives in a file per network namespace, and a
# "broken" marker for that namespace makes `status` fail (as a crashed daemon would).
dir=$(dirname "$0")/state
ns=$(ip netns identify $$)
mkdir -p "$dir"
case "$1" in
  start) touch "$dir/$ns.running" ;;
  stop) rm -f "$dir/$ns.running" ;;
  status) [ -f "$dir/$ns.broken" ] && exit 1; [ -f "$dir/$ns.running" ] && exit 0; exit 3 ;;
esac

#!/usr/bin/env bash
# Installs the Debian packages the tests use when they are missing (needs root; otherwise warns, and
# the tests that need them say loudly that they are skipped). Used by scripts/test.sh and .ci/run.
set -euo pipefail
need=()
command -v ip >/dev/null || need+=(iproute2)
command -v iptables >/dev/null || need+=(iptables)
command -v arping >/dev/null || need+=(iputils-arping)
[ -d /usr/lib/ocf/resource.d/heartbeat ] || need+=(resource-agents)
command -v modprobe >/dev/null || need+=(kmod)       # the OCF Filesystem agent refuses to run without it
command -v fuser >/dev/null || need+=(psmisc)       # and without this
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs) # the shared-disk test makes its disk with it
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v openssl >/dev/null || need+=(openssl)
command -v perl >/dev/null || need+=(perl-base)
command -v ping >/dev/null || need+=(iputils-ping)
command -v nft >/dev/null || need+=(nftables)
command -v conntrack >/dev/null || need+=(conntrack)
command -v curl >/dev/null || need+=(curl)
command -v etcd >/dev/null || need+=(etcd-server)
command -v tmux >/dev/null || need+=(tmux)
[ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v mariadb >/dev/null || need+=(mariadb-client)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "installing Debian packages: ${need[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "WARNING: not root, cannot install ${need[*]}; tests that need them will say they are skipped" >&2
fi

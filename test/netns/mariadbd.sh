#!/bin/sh
# A plain mariadbd whose datadir is on the shared disk, as an LSB-style `exec` resource of the shared-disk
# test: the datadir is MNT/data (mounted by the OCF Filesystem agent before this starts), the socket, pid
# file and log are in RUN/<network namespace>, as /run would be on a real host. start waits until the
# server answers on its socket; stop is SIGTERM by pid (a clean shutdown), then SIGKILL after STOP_WAIT
# seconds (a crash stop: InnoDB recovers on the next host); status is 0 while that pid is a live mariadbd.
# Commits are durable when acknowledged: innodb_flush_log_at_trx_commit=1, sync_binlog=1.
# Usage: mariadbd.sh start|stop|status MNT RUN STOP_WAIT
action=$1 mnt=$2 wait=$4
run=$3/$(ip netns identify $$)
pidf=$run/mariadbd.pid sock=$run/mysqld.sock log=$run/mariadbd.log
alive() {
  [ -f "$pidf" ] && p=$(cat "$pidf") && [ -n "$p" ] && grep -q mariadbd "/proc/$p/cmdline" 2>/dev/null &&
    [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" != Z ]
}
case "$action" in
  start)
    alive && exit 0
    mkdir -p "$run"
    if [ ! -d "$mnt/data/mysql" ]; then
      echo "no initialised datadir at $mnt/data: is the shared disk mounted here?" >&2
      exit 1
    fi
    rm -f "$sock"
    # The daemon runs at nice -10 and its children inherit it: the database runs at 0, as it would alone.
    nice -n $((0 - $(nice))) setsid mariadbd --no-defaults --user=root --datadir="$mnt/data" \
      --socket="$sock" --pid-file="$run/mariadbd-server.pid" --tmpdir="$run" --port=3306 --bind-address=0.0.0.0 \
      --skip-name-resolve --innodb-buffer-pool-size=16M --innodb-log-file-size=16M --performance-schema=OFF \
      --max-connections=300 --server-id=1 --log-bin=mariadb-bin --sync-binlog=1 \
      --innodb-flush-log-at-trx-commit=1 </dev/null >>"$log" 2>&1 &
    echo $! >"$pidf"
    until mariadb-admin --no-defaults --socket="$sock" --user=root --connect-timeout=1 ping >/dev/null 2>&1; do
      if ! alive; then
        echo "mariadbd exited at start: $(tail -n 3 "$log" | tr '\n' ' ')" >&2
        exit 1
      fi
      sleep 0.1
    done
    ;;
  stop)
    alive || exit 0
    kill -TERM "$p"
    i=0
    while alive; do
      i=$((i + 1))
      if [ "$i" -eq $((wait * 20)) ]; then
        echo "mariadbd $p did not shut down within ${wait}s: SIGKILL" >&2
        kill -KILL "$p"
      fi
      sleep 0.05
    done
    rm -f "$pidf"
    ;;
  status) alive || exit 3 ;;
  *)
    echo "usage: $0 start|stop|status MNT RUN STOP_WAIT" >&2
    exit 2
    ;;
esac

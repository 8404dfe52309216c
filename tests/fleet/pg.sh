#!/bin/sh
# A throw-away PostgreSQL 15 server for the fleet tests.
#
#   tests/fleet/pg.sh start DIR   initdb DIR/data (when absent) and start it;
#                                 prints postgresql://USER@127.0.0.1:PORT/postgres
#   tests/fleet/pg.sh stop DIR    stop it (fast shutdown) if it runs
#
# Everything lives in DIR: the cluster, its log, its unix socket. It
# listens on 127.0.0.1 only, on a free port, and lets only the test user
# in without a password (trust), from loopback and the socket in DIR. When
# run as root the server runs as `nobody`, with DIR given to it.
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGUSER_TEST=cstest

usage() {
	echo "usage: $0 start|stop DIR" >&2
	exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac
# A folder that srvdir.sh made a link (to /tmp) is used by its real path:
# the server's user may not be able to pass through the link's parents.
if [ -L "$dir" ]; then dir=$(readlink -f "$dir"); fi

# Run a command as the server's user: ourselves, or nobody when root.
as_server() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$@"
	else
		"$@"
	fi
}

port_in_use() {
	# bash's /dev/tcp is not in dash: ask the kernel's socket table.
	hex=$(printf '%04X' "$1")
	grep -q ":$hex " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

case $cmd in
start)
	[ -x "$PGBIN/initdb" ] || { echo "$0: $PGBIN/initdb not found (apt-get install postgresql)" >&2; exit 1; }
	dir=$("$(dirname "$0")/srvdir.sh" "$dir")
	if [ "$(id -u)" -eq 0 ]; then
		chown nobody:nogroup "$dir"
		if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -w "$dir"; then
			echo "$0: $dir: not reachable by user nobody (a parent folder is closed)" >&2
			exit 1
		fi
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		rm -rf "$dir/data"
		as_server "$PGBIN/initdb" -D "$dir/data" -U "$PGUSER_TEST" -A reject \
			--no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; exit 1; }
		cat >"$dir/data/pg_hba.conf" <<HBA
local all $PGUSER_TEST trust
host  all $PGUSER_TEST 127.0.0.1/32 trust
HBA
		[ "$(id -u)" -ne 0 ] || chown nobody:nogroup "$dir/data/pg_hba.conf"
	fi
	as_server mkdir -p "$dir/sock"
	tries=0
	while :; do
		tries=$((tries + 1))
		# Below the ephemeral range (32768 on): see free_ports in nats.sh.
		port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000 ))
		port_in_use "$port" && continue
		if as_server "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			-o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/sock -c fsync=off -c full_page_writes=off" \
			start >"$dir/pg_ctl.log" 2>&1; then
			break
		fi
		if [ $tries -ge 5 ]; then
			cat "$dir/pg_ctl.log" "$dir/server.log" >&2 2>/dev/null || true
			exit 1
		fi
	done
	echo "postgresql://$PGUSER_TEST@127.0.0.1:$port/postgres" | tee "$dir/conninfo"
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_server "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
	fi
	;;
*)
	usage
	;;
esac

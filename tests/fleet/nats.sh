#!/usr/bin/env bash
# Start, stop and break a NATS JetStream cluster for the fleet tests, on
# loopback only, all files under DIR, unprivileged (as nobody when run as
# root). Nothing here ever listens beyond 127.0.0.1.
#
#   nats.sh prepare DIR N            choose the ports of N nodes; prints the client URLs
#   nats.sh start DIR N [AUTH.conf]  N nodes (1 or 3; on the prepared ports if any);
#                                    prints the client URLs
#   nats.sh stop DIR                 stop every node (SIGTERM, then SIGKILL)
#   nats.sh kill DIR I               kill -9 node I (1-based)
#   nats.sh restart DIR I            start node I again with its store
#   nats.sh reload DIR AUTH.conf     new authorization fragment, every node reloads it
#   nats.sh urls DIR                 the client URLs, comma separated
#   nats.sh pid DIR I                node I's process id
#   nats.sh node-of DIR NAME         the index of the node whose server_name is NAME
set -eu
cmd=$1 dir=$2
# A folder that srvdir.sh made a link (to /tmp) is used by its real path:
# the server's user may not be able to pass through the link's parents.
if [ -L "$dir" ]; then dir=$(readlink -f "$dir"); fi
bin=${NATS_SERVER:-nats-server}

free_ports() {
	python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

start_node() {
	local i=$1
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
			"$bin" -c "$dir/n$i.conf" >>"$dir/n$i.out" 2>&1 &
	else
		"$bin" -c "$dir/n$i.conf" >>"$dir/n$i.out" 2>&1 &
	fi
	echo $! >"$dir/n$i.pid"
}

wait_healthy() {
	local i=$1 mport t
	mport=$(cat "$dir/n$i.mport")
	for t in $(seq 1 600); do
		if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$mport/healthz', timeout=1)" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$(cat "$dir/n$i.pid")" 2>/dev/null; then
			echo "nats.sh: node $i exited; its log:" >&2
			tail -20 "$dir/n$i.log" >&2 || true
			return 1
		fi
		sleep 0.1
	done
	echo "nats.sh: node $i not healthy after 60 s" >&2
	return 1
}

case $cmd in
prepare)
	n=$3
	dir=$("$(dirname "$0")/srvdir.sh" "$dir")
	free_ports $((n * 3)) >"$dir/ports"
	read -r -a ports <<<"$(cat "$dir/ports")"
	out=""
	for i in $(seq 1 "$n"); do out="$out${out:+,}nats://127.0.0.1:${ports[$((i - 1))]}"; done
	echo "$out"
	;;
start)
	n=$3 auth=${4:-}
	dir=$("$(dirname "$0")/srvdir.sh" "$dir")
	[ "$(id -u)" -ne 0 ] || chown nobody:nogroup "$dir"
	[ -f "$dir/ports" ] || free_ports $((n * 3)) >"$dir/ports"
	read -r -a ports <<<"$(cat "$dir/ports")"
	routes=""
	for i in $(seq 1 "$n"); do
		routes="$routes${routes:+, }nats-route://127.0.0.1:${ports[$((n * 2 + i - 1))]}"
	done
	for i in $(seq 1 "$n"); do
		p=${ports[$((i - 1))]} m=${ports[$((n + i - 1))]} c=${ports[$((n * 2 + i - 1))]}
		mkdir -p "$dir/js$i"
		{
			echo "server_name: n$i"
			echo "listen: 127.0.0.1:$p"
			echo "http: 127.0.0.1:$m"
			echo "pid_file: \"$dir/n$i.srvpid\""
			echo "log_file: \"$dir/n$i.log\""
			echo "max_payload: 1MB"
			echo "jetstream { store_dir: \"$dir/js$i\", max_file_store: 10G, max_memory_store: 64M }"
			if [ "$n" -gt 1 ]; then
				# A name of its own: a cluster of another test whose port
				# was reused can never be joined.
				echo "cluster { name: cs$(echo "$dir" | md5sum | cut -c1-10), listen: 127.0.0.1:$c, routes: [ $routes ] }"
			fi
			# nats-server 2.9 resolves an include against the
			# configuration's folder, and runs as nobody: a copy beside it.
			[ -z "$auth" ] || echo "include \"auth.conf\""
		} >"$dir/n$i.conf"
		echo "$p" >"$dir/n$i.port"
		echo "$m" >"$dir/n$i.mport"
		[ -z "$auth" ] || { cp "$auth" "$dir/auth.conf" && chmod 0644 "$dir/auth.conf"; }
		if [ "$(id -u)" -eq 0 ]; then
			touch "$dir/n$i.log"
			# Only what this node will use: a recursive chown of the
			# whole folder races with the nodes already started, whose
			# JetStream files come and go under it.
			chown nobody:nogroup "$dir"
			chown -R nobody:nogroup "$dir/js$i" "$dir/n$i.log"
		fi
		start_node "$i"
	done
	echo "$n" >"$dir/nodes"
	for i in $(seq 1 "$n"); do wait_healthy "$i"; done
	"$0" urls "$dir"
	;;
urls)
	n=$(cat "$dir/nodes") out=""
	for i in $(seq 1 "$n"); do out="$out${out:+,}nats://127.0.0.1:$(cat "$dir/n$i.port")"; done
	echo "$out"
	;;
pid)
	cat "$dir/n$3.pid"
	;;
node-of)
	n=$(cat "$dir/nodes")
	for i in $(seq 1 "$n"); do
		grep -q "^server_name: $3\$" "$dir/n$i.conf" && { echo "$i"; exit 0; }
	done
	exit 1
	;;
kill)
	kill -9 "$(cat "$dir/n$3.pid")" 2>/dev/null || true
	wait "$(cat "$dir/n$3.pid")" 2>/dev/null || true
	;;
reload)
	# After the fleet folder's auth fragment changed (enroll, rotate).
	cp "$3" "$dir/auth.conf"
	chmod 0644 "$dir/auth.conf"
	n=$(cat "$dir/nodes")
	for i in $(seq 1 "$n"); do kill -HUP "$(cat "$dir/n$i.pid")" 2>/dev/null || true; done
	;;
restart)
	start_node "$3"
	wait_healthy "$3"
	;;
stop)
	[ -f "$dir/nodes" ] || exit 0
	n=$(cat "$dir/nodes")
	for i in $(seq 1 "$n"); do kill "$(cat "$dir/n$i.pid")" 2>/dev/null || true; done
	for t in $(seq 1 50); do
		alive=0
		for i in $(seq 1 "$n"); do kill -0 "$(cat "$dir/n$i.pid")" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	for i in $(seq 1 "$n"); do kill -9 "$(cat "$dir/n$i.pid")" 2>/dev/null || true; done
	;;
*)
	echo "usage: nats.sh start|stop|kill|restart|urls|pid|node-of DIR ..." >&2
	exit 2
	;;
esac

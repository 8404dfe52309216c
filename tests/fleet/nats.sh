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

# Ports below the kernel's ephemeral range (ip_local_port_range starts at
# 32768): bind(0) and every outgoing connection take theirs from that range,
# so a port chosen there and closed until the node binds it can meanwhile
# become some client's local port, or a route's connection to a node not
# yet up can connect to itself on it. Below it, only another test choosing
# at random can collide (pg.sh chooses from 20000-31999, we from 10000-19999):
# each chosen port is also reserved, a file in $PORTS_DIR naming the folder
# that holds it, until `stop` gives it back, so two tests starting clusters
# at once (or one preparing ports long before it starts) never share one.
PORTS_DIR=${CS_PORTS_DIR:-/tmp/chainsweep-ports}
free_ports() {
	python3 - "$1" "$dir" "$PORTS_DIR" <<'PY'
import os, random, socket, sys, time
want, owner, rdir = int(sys.argv[1]), sys.argv[2], sys.argv[3]
os.makedirs(rdir, exist_ok=True)
try:
    os.chmod(rdir, 0o1777)
except OSError:
    pass

def reserved(path):
    # A reservation stands while its folder exists and it is younger than
    # a day (a run killed before `stop` leaves one behind).
    try:
        with open(path) as f:
            holder = f.read().strip()
        return os.path.isdir(holder) and time.time() - os.path.getmtime(path) < 86400
    except OSError:
        return False

socks, seen = [], set()
while len(socks) < want:
    port = random.randrange(10000, 20000)
    if port in seen:
        continue
    seen.add(port)
    path = os.path.join(rdir, str(port))
    if os.path.exists(path):
        if reserved(path):
            continue
        try:
            os.unlink(path)
        except OSError:
            continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError:
        s.close()
        continue
    os.write(fd, (owner + "\n").encode())
    os.close(fd)
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# Give back this folder's reservations.
release_ports() {
	local p
	[ -f "$dir/ports" ] || return 0
	for p in $(cat "$dir/ports"); do
		if [ "$(cat "$PORTS_DIR/$p" 2>/dev/null)" = "$dir" ]; then rm -f "$PORTS_DIR/$p"; fi
	done
}

start_node() {
	local i=$1
	# Where this start's lines begin: a restarted node appends to its log.
	stat -c %s "$dir/n$i.log" >"$dir/n$i.logoff" 2>/dev/null || echo 0 >"$dir/n$i.logoff"
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
			"$bin" -c "$dir/n$i.conf" >>"$dir/n$i.out" 2>&1 &
	else
		"$bin" -c "$dir/n$i.conf" >>"$dir/n$i.out" 2>&1 &
	fi
	echo $! >"$dir/n$i.pid"
}

# One GET of a node's /healthz through bash's /dev/tcp (no interpreter to
# start on every try of a loaded machine); prints the status line and body.
healthz() {
	local body
	body=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
		cat <&3' _ "$1" 2>/dev/null) || return 1
	printf '%s\n' "$body" | tr -d '\r'
}

# Every node's state, for a cluster that did not come up.
diagnose() {
	local j n
	n=$(cat "$dir/nodes" 2>/dev/null || echo 1)
	for j in $(seq 1 "$n"); do
		if kill -0 "$(cat "$dir/n$j.pid" 2>/dev/null)" 2>/dev/null; then
			echo "nats.sh: node $j (pid $(cat "$dir/n$j.pid")) is running; /healthz says:" >&2
			healthz "$(cat "$dir/n$j.mport")" | sed -n '1p;$p' | sed 's/^/  /' >&2 || echo "  (no answer)" >&2
		else
			echo "nats.sh: node $j is not running" >&2
		fi
		echo "nats.sh: node $j's log ends:" >&2
		# Without the complaints our own /healthz polling caused.
		grep -v 'Healthcheck failed' "$dir/n$j.log" 2>/dev/null | tail -25 | sed 's/^/  /' >&2 || true
		tail -5 "$dir/n$j.out" 2>/dev/null | sed 's/^/  /' >&2 || true
	done
}

# Whether node I has said, since its last start, that it listens for
# clients. nats-server answers /healthz (monitor and JetStream are up)
# before it binds the client port, and exits if that port is taken: a
# healthy /healthz alone can be a node about to die, leaving whatever holds
# its client port to answer the test's clients.
client_ready() {
	local off
	off=$(cat "$dir/n$1.logoff" 2>/dev/null || echo 0)
	tail -c +$((off + 1)) "$dir/n$1.log" 2>/dev/null | grep -q "Server is ready"
}

# 60 s of wall-clock time, however slow each try is on a loaded machine.
wait_healthy() {
	local i=$1 mport end
	mport=$(cat "$dir/n$i.mport")
	end=$((SECONDS + 60))
	while [ $SECONDS -lt $end ]; do
		if client_ready "$i" && healthz "$mport" | head -1 | grep -q ' 200 ' &&
			kill -0 "$(cat "$dir/n$i.pid")" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$(cat "$dir/n$i.pid")" 2>/dev/null; then
			echo "nats.sh: node $i exited" >&2
			diagnose
			return 1
		fi
		sleep 0.2
	done
	echo "nats.sh: node $i not healthy after 60 s" >&2
	diagnose
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
	# Copied once, before any node starts: a copy over it (truncate, then
	# write) while a started node reads its configuration would give that
	# node no users, or half of them.
	[ -z "$auth" ] || { cp "$auth" "$dir/auth.conf" && chmod 0644 "$dir/auth.conf"; }
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
	# Renamed into place: a node never reads a half-written copy.
	cp "$3" "$dir/auth.conf.new"
	chmod 0644 "$dir/auth.conf.new"
	mv -f "$dir/auth.conf.new" "$dir/auth.conf"
	n=$(cat "$dir/nodes")
	for i in $(seq 1 "$n"); do kill -HUP "$(cat "$dir/n$i.pid")" 2>/dev/null || true; done
	;;
restart)
	start_node "$3"
	wait_healthy "$3"
	;;
stop)
	[ -f "$dir/nodes" ] || { release_ports; exit 0; }
	n=$(cat "$dir/nodes")
	for i in $(seq 1 "$n"); do kill "$(cat "$dir/n$i.pid")" 2>/dev/null || true; done
	for t in $(seq 1 50); do
		alive=0
		for i in $(seq 1 "$n"); do kill -0 "$(cat "$dir/n$i.pid")" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	for i in $(seq 1 "$n"); do kill -9 "$(cat "$dir/n$i.pid")" 2>/dev/null || true; done
	release_ports
	;;
*)
	echo "usage: nats.sh start|stop|kill|restart|urls|pid|node-of DIR ..." >&2
	exit 2
	;;
esac

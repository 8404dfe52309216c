#!/usr/bin/env bash
# The fleet benchmark (issue 13): a re-match hunt over BENCH_AGENTS agents
# against BENCH_IOCS new sha256 indicators, from `fleet hunt` to the last
# result committed in PostgreSQL.
#
#   bench/fleet.sh BUILD_DIR        (after cmake --build BUILD_DIR: chainsweep, fleet_sim)
#
# Real servers, started here on loopback under BUILD_DIR/fleet-bench and
# stopped at the end: a three-node NATS JetStream cluster (replicas 3) and
# PostgreSQL (tests/fleet/nats.sh, tests/fleet/pg.sh). The operator's case
# is a plain list of generated sha256 values imported with `intel import`
# and published with `fleet publish`; the hunt is `fleet hunt --all --sweep
# rematch`; the collector is the real `fleet collect`. The agents are
# bench/fleet_sim.c: BENCH_PROCS processes of BENCH_AGENTS/BENCH_PROCS
# threads, each agent the real agent loop with its own nkey, connection,
# journal, spool and local case; only its host is simulated (a synthetic
# inventory of BENCH_FILES hashes per host, handed to the agent's own
# look-up in the hash index).
#
# Hits: every BENCH_HIT_EVERY-th host (sim-0000, sim-0040, ...) holds
# BENCH_HIT_FILES files whose hashes are among the indicators.
#
# Modes (BENCH_MODES, default `all`): `all` (every agent reads what it
# needs itself: for this re-match, the lite bundle, the hash index's
# prefixes and table, and the shards of its candidates; docs/fleet.md, "The
# hash index") and `share` (the whole-bundle download of a hunt that needs
# it is done once per process, through the `cached` hook; a re-match does
# not need it, so both modes now run the same re-match path).
# Each mode runs BENCH_RUNS hunts, each after publishing a new bundle
# version (one more indicator), so every hunt includes the intel's
# distribution. Then (BENCH_DRAIN=1) the collector's throughput: BENCH_RUNS
# hunts whose results wait in the stream while the collector is stopped,
# with BENCH_DRAIN_FILES more hits on every host, then drained.
set -eu
B=$(realpath "${1:-build}")
here=$(cd "$(dirname "$0")" && pwd)
CS=$B/chainsweep
SIM=$B/fleet_sim
NATS=$here/../tests/fleet/nats.sh
PGSH=$here/../tests/fleet/pg.sh
AGENTS=${BENCH_AGENTS:-1000}
PROCS=${BENCH_PROCS:-4}
IOCS=${BENCH_IOCS:-100000}
FILES=${BENCH_FILES:-2000}
HIT_EVERY=${BENCH_HIT_EVERY:-40}
HIT_FILES=${BENCH_HIT_FILES:-3}
RUNS=${BENCH_RUNS:-3}
MODES=${BENCH_MODES:-all}
DRAIN=${BENCH_DRAIN:-1}
DRAIN_FILES=${BENCH_DRAIN_FILES:-5}
TIMEOUT=${BENCH_TIMEOUT:-300}
W=${BENCH_DIR:-$B/fleet-bench}
[ -x "$CS" ] && [ -x "$SIM" ] || { echo "fleet.sh: build $CS and $SIM first" >&2; exit 2; }

ulimit -n 65536 2>/dev/null || ulimit -n 4096
rm -rf "$W"
mkdir -p "$W" "$W/state"
chmod 0755 "$B" "$W"

pids=()
simpids=()
cleanup() {
	local p
	for p in "${simpids[@]}" "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 1
	for p in "${simpids[@]}" "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	"$NATS" stop "$W/nats" >/dev/null 2>&1 || true
	# A cluster that failed to start has no node list for nats.sh stop.
	for p in "$W"/nats/n*.pid; do
		[ ! -f "$p" ] || kill -9 "$(cat "$p")" 2>/dev/null || true
	done
	"$PGSH" stop "$W/pg" >/dev/null 2>&1 || true
	[ -n "${KEEP:-}" ] || rm -rf "$W/state" "$W/nats" "$W/pg"
}
trap cleanup EXIT

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }
now() { date +%s.%N; }
F="--dir $W/fleet"
cs() { "$CS" --quiet "$@"; }

# --- Servers, keys, intel -------------------------------------------------
URLS=$("$NATS" prepare "$W/nats" 3)
PG=$("$PGSH" start "$W/pg")
export CHAINSWEEP_FLEET_PG=$PG
psql_q() { psql "$PG" -Atc "$1"; }
cs fleet init $F >/dev/null
hosts=$(seq -f 'sim-%04g' 0 $((AGENTS - 1)))
# shellcheck disable=SC2086
cs fleet enroll $F --servers "$URLS" $hosts >/dev/null
echo "$URLS" >"$W/fleet/servers"
"$NATS" start "$W/nats" 3 "$W/fleet/nats-auth.conf" >/dev/null
cs fleet setup $F --replicas 3
log "servers up: NATS $URLS; $AGENTS hosts enrolled"

python3 - "$W/iocs.txt" "$AGENTS" "$IOCS" "$HIT_EVERY" "$HIT_FILES" <<'PY'
import hashlib, sys
out, agents, iocs, every, files = sys.argv[1], *map(int, sys.argv[2:])
vals = []
for k in range(0, agents, every):
    for i in range(files):
        vals.append(hashlib.sha256(b"cs-bench-file:sim-%04d:%d" % (k, i)).hexdigest())
n = 0
while len(vals) < iocs:
    vals.append(hashlib.sha256(b"cs-bench-ioc:%d" % n).hexdigest())
    n += 1
open(out, "w").write("\n".join(vals) + "\n")
PY
OPDB=$W/op.db
cs --db "$OPDB" intel import "$W/iocs.txt" >/dev/null
log "intel: $(wc -l <"$W/iocs.txt") sha256 indicators imported"

"$CS" --quiet fleet collect $F 2>>"$W/collector.log" &
cpid=$!
pids+=("$cpid")

extra=0
publish_new() { # a new bundle version: one more indicator
	extra=$((extra + 1))
	printf '%s\n' "$(printf 'cs-bench-extra:%d' "$extra" | sha256sum | cut -d' ' -f1)" >"$W/extra.txt"
	cs --db "$OPDB" intel import "$W/extra.txt" >/dev/null
	cs --db "$OPDB" fleet publish $F >/dev/null
}

rss_of() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
connections() {
	python3 - "$W/nats" <<'PY'
import json, sys, urllib.request
d = sys.argv[1]; n = 0
for i in (1, 2, 3):
    port = open(f"{d}/n{i}.mport").read().strip()
    n += json.load(urllib.request.build_opener(urllib.request.ProxyHandler({})).open(f"http://127.0.0.1:{port}/varz", timeout=5))["connections"]
print(n)
PY
}

# The agents' state (journal, spool, case, bundle version) is kept across
# restarts, as on a real host: a restarted agent runs no hunt again and
# takes no bundle it has; each hunt below follows a new bundle version.
start_sims() { # MODE [LABEL]
	local mode=$1 label=${2:-$1} per=$((AGENTS / PROCS)) p from cnt share=""
	[ "$mode" = share ] && share=--share
	mkdir -p "$W/state"
	simpids=()
	for p in $(seq 0 $((PROCS - 1))); do
		from=$((p * per))
		cnt=$per
		[ "$p" -eq $((PROCS - 1)) ] && cnt=$((AGENTS - from))
		"$SIM" --fleet "$W/fleet" --servers "$URLS" --state "$W/state/p$p" --from "$from" \
			--count "$cnt" --files "$FILES" --poll "${SIMPOLL:-600}" $share >"$W/sim-p$p.out" 2>"$W/sim-p$p.err" &
		simpids+=($!)
	done
	local t base=0 c
	for t in $(seq 1 600); do
		c=$(connections)
		[ "$c" -ge $((AGENTS + 1)) ] && break
		sleep 0.5
	done
	[ "$c" -ge $((AGENTS + 1)) ] || { log "only $c connections"; exit 1; }
	sleep 3 # each agent reads the (absent) hunt index once, then idles
	for p in $(seq 0 $((PROCS - 1))); do
		base=$((base + $(awk '/^base_rss_kb/ {print $2}' "$W/sim-p$p.out")))
	done
	local rss=0 thr=0 pid
	for pid in "${simpids[@]}"; do
		rss=$((rss + $(rss_of "$pid")))
		thr=$((thr + $(awk '/^Threads:/ {print $2}' "/proc/$pid/status")))
	done
	log "mode $label: $AGENTS agents connected and idle in $PROCS processes: RSS $rss kB (base $base kB), $thr threads"
	echo "idle $label rss_kb $rss base_kb $base threads $thr per_agent_kb $(((rss - base) / AGENTS))" >>"$W/results.txt"
}

stop_sims() {
	local pid
	for pid in "${simpids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${simpids[@]}"; do wait "$pid" 2>/dev/null || true; done
	simpids=()
}

final_count() { # HUNT
	psql_q "select count(*) from hunt_host where hunt='$1' and host like 'sim-%' and state in ('done','incomplete','error','refused')"
}

# A host refused by its agent (a bundle chunk that timed out is a refusal)
# is sent as a status of run 1 with a sequence number above 10^12; when
# that host's real run 1 follows, PostgreSQL keeps the refusal in hunt_host
# (the newer sequence number wins). So the end is counted on the messages
# committed: every host's running and final status and every expected
# finding, refusals left out.
HITS=$(((AGENTS + HIT_EVERY - 1) / HIT_EVERY * HIT_FILES))
committed() { # HUNT
	psql_q "select count(*) from fleet_msg where split_part(id, ':', 1) = '$1' and split_part(id, ':', 4)::bigint < 1000000000000"
}

# t0 just before `fleet hunt`; the end when every host's final status is
# committed.
hunt_once() { # LABEL EXPECTED_FINDINGS
	local label=$1 want=$((2 * AGENTS + $2)) t0 H t n=0
	t0=$(now)
	H=$(cs fleet hunt $F --all --sweep rematch)
	[ -z "${BENCH_PERF:-}" ] || perf record -F 199 -a -g -o "$W/perf-$label.data" -- sleep "$BENCH_PERF" >/dev/null 2>&1 &
	for t in $(seq 1 $((TIMEOUT * 10))); do
		n=$(committed "$H")
		[ "$n" -ge "$want" ] && break
		sleep 0.1
	done
	local tend
	tend=$(now)
	# The precise figures from PostgreSQL's own commit times.
	psql_q "
	with m as (select split_part(id, ':', 2) as host, split_part(id, ':', 4)::bigint as seq,
	                  extract(epoch from received) as t
	           from fleet_msg where split_part(id, ':', 1) = '$H'
	                and split_part(id, ':', 4)::bigint < 1000000000000),
	     f as (select m.t from m join hunt_host h on h.hunt = '$H' and h.host = m.host
	           where m.seq between 1 and h.findings)
	select (select max(t) from m) - $t0, (select min(t) from f) - $t0, (select count(*) from f),
	       (select count(*) from m), (select max(t) - min(t) from m),
	       (select count(*) from hunt_host where hunt = '$H' and host like 'sim-%' and state = 'done'),
	       (select count(*) from hunt_host where hunt = '$H' and host like 'sim-%' and state = 'refused')" |
		tr '|' ' ' >"$W/h.txt"
	read -r last first nf nm span ndone nref <"$W/h.txt"
	local ok=1
	[ "$n" -ge "$want" ] || ok=0
	log "$label: hunt $H: $nm/$want messages committed (complete: $ok), $ndone hosts done, $nref refused at least once, in $(awk "BEGIN{printf \"%.2f\", $last}") s (poll saw $(awk "BEGIN{printf \"%.2f\", $tend - $t0}") s); first finding $(awk "BEGIN{printf \"%.2f\", $first}") s; $nf findings"
	echo "hunt $label complete $ok done $ndone end_s $last first_finding_s $first findings $nf messages $nm span_s $span refused $nref" >>"$W/results.txt"
	LAST_HUNT=$H
}

: >"$W/results.txt"
for mode in $MODES; do
	runs=$RUNS
	SIMPOLL=600
	if [ "$mode" = all ]; then
		runs=${BENCH_ALL_RUNS:-$RUNS}
		SIMPOLL=${BENCH_ALL_POLL:-600}
	fi
	start_sims "$mode"
	for r in $(seq 1 "$runs"); do
		publish_new
		sleep 2
		hunt_once "$mode" "$HITS"
	done
	log "mode $mode: $(cat "$W"/state/p*/agents.log | grep -c adopted) bundle adoptions logged so far"
	stop_sims
done

# --- One real bundle download, verification and adoption -----------------
# Through the real path (chunks, SHA-256 against the signed manifest,
# cs_store_adopt_intel into a new local case), by one agent alone.
for r in $(seq 1 "$RUNS"); do
	rm -rf "$W/probe"
	"$SIM" --fleet "$W/fleet" --servers "$URLS" --state "$W/probe" --probe sim-0001 \
		--files "$FILES" >>"$W/probe.out" 2>>"$W/probe.err" || log "probe $r failed"
done
awk '/^probe/ {print "probe bundle_ms", $4, "total_ms", $6}' "$W/probe.out" >>"$W/results.txt"

# --- A real idle agent ------------------------------------------------------
mkdir -p "$W/solo-root"
for r in $(seq 1 "$RUNS"); do
	rm -rf "$W/solo"
	"$CS" agent --config "$W/fleet/agents/sim-0002.conf" --state-dir "$W/solo" \
		--root "$W/solo-root" >"$W/solo.log" 2>&1 &
	apid=$!
	pids+=("$apid")
	# Idle: its log has not grown for 3 s (it ran the hunts of the index).
	prev=-1 still=0
	for t in $(seq 1 240); do
		sz=$(stat -c %s "$W/solo.log")
		if [ "$sz" = "$prev" ]; then still=$((still + 1)); else still=0; fi
		prev=$sz
		[ $still -ge 6 ] && grep -q "run 1 " "$W/solo.log" && break
		sleep 0.5
	done
	echo "real_agent rss_kb $(rss_of "$apid") after $(grep -c "run 1 " "$W/solo.log") run" >>"$W/results.txt"
	kill "$apid"
	wait "$apid" 2>/dev/null || true
done
# ... and one that has nothing to do yet: its bundle is current, its hunts ended.
"$CS" agent --config "$W/fleet/agents/sim-0002.conf" --state-dir "$W/solo" \
	--root "$W/solo-root" >"$W/solo2.log" 2>&1 &
apid=$!
pids+=("$apid")
sleep 3
echo "real_agent_idle rss_kb $(rss_of "$apid")" >>"$W/results.txt"
kill "$apid"
wait "$apid" 2>/dev/null || true

# --- The collector draining a backlog ---------------------------------------
# A TERM that comes before the collector has set its handlers can be lost:
# send it again until the process is gone.
stop_collector() {
	local t
	for t in $(seq 1 20); do
		kill "$cpid" 2>/dev/null || break
		sleep 0.5
		kill -0 "$cpid" 2>/dev/null || break
	done
	wait "$cpid" 2>/dev/null || true
}
if [ "$DRAIN" = 1 ]; then
	python3 - "$W/drain.txt" "$AGENTS" "$DRAIN_FILES" <<'PY'
import hashlib, sys
out, agents, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(out, "w") as f:
    for k in range(agents):
        for i in range(100, 100 + files):
            f.write(hashlib.sha256(b"cs-bench-file:sim-%04d:%d" % (k, i)).hexdigest() + "\n")
PY
	cs --db "$OPDB" intel import "$W/drain.txt" >/dev/null
	cs --db "$OPDB" fleet publish $F >/dev/null
	SIMPOLL=600
	start_sims all drain
	for r in $(seq 1 "$RUNS"); do
		stop_collector
		H=$(cs fleet hunt $F --all --sweep rematch)
		for t in $(seq 1 $((TIMEOUT * 10))); do
			n=$(grep -h "hunt $H: run 1 done" "$W"/state/p*/agents.log | wc -l)
			[ "$n" -ge "$AGENTS" ] && break
			sleep 0.1
		done
		sleep 2 # the last statuses leave the spools
		"$CS" --quiet fleet collect $F --idle-exit 3 2>>"$W/collector.log" &
		cpid=$!
		pids+=("$cpid")
		for t in $(seq 1 $((TIMEOUT * 10))); do
			[ "$(committed "$H")" -ge $((2 * AGENTS + HITS + AGENTS * DRAIN_FILES)) ] && break
			sleep 0.2
		done
		psql_q "
		with m as (select split_part(id, ':', 2) as host, split_part(id, ':', 4)::bigint as seq,
		                  extract(epoch from received) as t
		           from fleet_msg where split_part(id, ':', 1) = '$H'
		                and split_part(id, ':', 4)::bigint < 1000000000000),
		     f as (select m.t from m join hunt_host h on h.hunt = '$H' and h.host = m.host
		           where m.seq between 1 and h.findings)
		select (select count(*) from m), (select count(*) from f), (select max(t) - min(t) from m)" |
			tr '|' ' ' >"$W/d.txt"
		read -r nm nf span <"$W/d.txt"
		log "drain $r: $nm messages ($nf findings) committed in $span s"
		echo "drain messages $nm findings $nf span_s $span" >>"$W/results.txt"
		wait "$cpid" 2>/dev/null || true
		"$CS" --quiet fleet collect $F 2>>"$W/collector.log" &
		cpid=$!
		pids+=("$cpid")
	done
	stop_sims
fi

# --- Summary (medians of the runs) -------------------------------------------
R=$W/results.txt
echo
echo "fleet benchmark: $AGENTS agents in $PROCS processes, $IOCS sha256 indicators, $FILES files per host"
for mode in $MODES; do
	awk -v m="$mode" '$1=="hunt" && $2==m {print $8}' "$R" >"$W/x"
	end=$(median <"$W/x")
	first=$(awk -v m="$mode" '$1=="hunt" && $2==m {print $10}' "$R" | median)
	inc=$(awk -v m="$mode" '$1=="hunt" && $2==m && $4!=1' "$R" | wc -l)
	refused=$(awk -v m="$mode" '$1=="hunt" && $2==m {print $18}' "$R" | tr '\n' ' ')
	printf '%-6s hunt start -> last result committed: %s s (runs: %s); first finding visible: %s s; incomplete runs: %s; hosts refused at first: %s; target < 60 s: %s\n' \
		"$mode" "$end" "$(tr '\n' ' ' <"$W/x")" "$first" "$inc" "$refused" \
		"$(awk -v e="$end" -v i="$inc" 'BEGIN{print (e < 60 && i == 0) ? "met" : "MISSED"}')"
done
awk '$1=="idle" {printf "%-6s idle: %d kB RSS in '"$PROCS"' processes (base %d kB), %d threads, %d kB per agent\n", $2, $4, $6, $8, $10}' "$R"
awk '$1=="probe" {print $3}' "$R" | median | xargs -I{} echo "one agent alone, real path: connect + intel fetch (lite bundle, prefixes, table) + verify + adopt: {} ms (median)"
awk '$1=="probe" {print $5}' "$R" | median | xargs -I{} echo "  ... and the whole --once run with its re-match through the hash index: {} ms"
awk '$1=="real_agent" {print $3}' "$R" | median | xargs -I{} echo "real chainsweep agent, idle after adopting the bundle and running the hunt: {} kB RSS"
awk '$1=="real_agent_idle" {print "real chainsweep agent, idle from its start (nothing new to do): " $3 " kB RSS"}' "$R"
if [ "$DRAIN" = 1 ]; then
	awk '$1=="drain" {if ($7 > 0) print $5 / $7}' "$R" | median | xargs -I{} echo "collector draining a backlog: {} findings/s (median)"
	awk '$1=="drain" {if ($7 > 0) print $3 / $7}' "$R" | median | xargs -I{} echo "  ... {} messages/s (findings and statuses)"
fi
echo "raw figures: $R"

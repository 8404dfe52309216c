#!/usr/bin/env bash
# The fleet end to end, with real servers on loopback started here and
# stopped at the end: a three-node NATS JetStream cluster and PostgreSQL,
# the operator's commands, agents over lab host folders, the collector.
#
#   e2e.sh CHAINSWEEP
#
# What it shows (docs/fleet.md):
#   - a hunt answers per host: hit, clean, and a host offline at the start
#     listed as not yet seen, then answering when it comes back;
#   - nothing twice: the same agent started again runs nothing again; the
#     collector killed with -9 mid-drain loses and duplicates nothing;
#   - an agent killed with -9 mid-hunt runs it again after restart and the
#     fleet database holds each finding once;
#   - the stream leader killed with -9 mid-hunt: the hunt completes;
#   - bundles refused: signed by another key, rolled back, expired;
#   - an agent with another host's credentials cannot speak for it;
#   - a hunt stopped before a host ran it is never run there.
set -eEu
CS=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
build=${CS_BUILD_DIR:-$(dirname "$CS")}
W=$build/fleet-test/e2e-$$
NATS=$here/nats.sh
PGSH=$here/pg.sh
rm -rf "$W"
mkdir -p "$W"
# The servers run as nobody when we are root: their folders must be
# reachable.
chmod 0755 "$build" "$build/fleet-test" "$W" 2>/dev/null || true

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	"$NATS" stop "$W/nats" >/dev/null 2>&1 || true
	"$NATS" stop "$W/nats2" >/dev/null 2>&1 || true
	"$PGSH" stop "$W/pg" >/dev/null 2>&1 || true
	if [ -z "${KEEP:-}" ]; then
		for d in nats nats2 pg; do "$here/srvdir.sh" -r "$W/$d"; done
		rm -rf "$W"
	fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$W"/*.log; do
		[ -f "$f" ] && { echo "--- $f" >&2; tail -15 "$f" >&2; }
	done
	# The servers' side: what each NATS node refused or complained of.
	for f in "$W"/nats*/n*.log; do
		[ -f "$f" ] || continue
		echo "--- $f (ports: $(cat "$(dirname "$f")/ports" 2>/dev/null))" >&2
		grep -E '\[(ERR|FTL|WRN)\]|Server is ready|Listening for client' "$f" | tail -8 >&2 || true
	done
	exit 1
}
ok() { echo "ok: $*"; }
# A command that fails under set -e says which one, with the logs, before
# the folder goes: a silent exit cannot be told apart in CI.
trap 'rc=$?; case $- in *e*) fail "line $LINENO: \`$BASH_COMMAND\` exited $rc" ;; esac' ERR

cs() { "$CS" --quiet "$@"; }
F="--dir $W/fleet"

# --- Servers and keys -------------------------------------------------
URLS=$("$NATS" prepare "$W/nats" 3)
PG=$("$PGSH" start "$W/pg")
export CHAINSWEEP_FLEET_PG=$PG
cs fleet init $F
cs fleet enroll $F --servers "$URLS" hostA hostB hostC
cs fleet enroll $F --servers "$URLS" --labels finance hostD
echo "$URLS" >"$W/fleet/servers"
"$NATS" start "$W/nats" 3 "$W/fleet/nats-auth.conf" >/dev/null
cs fleet setup $F --replicas 3

# An unauthenticated connection is refused: the operator's commands with
# a folder whose key is not enrolled fail.
mkdir -p "$W/stranger"
cs fleet init --dir "$W/stranger/f"
echo "$URLS" >"$W/stranger/f/servers"
if "$CS" --quiet fleet setup --dir "$W/stranger/f" 2>"$W/stranger.err"; then
	fail "an unknown operator key was let in"
fi
ok "an unknown key is refused ($(head -c 120 "$W/stranger.err"))"

# --- Lab hosts and intel ------------------------------------------------
mk_host() { # NAME [compromised]
	local r=$W/hosts/$1
	mkdir -p "$r/opt/app" "$r/home/user"
	printf 'ordinary file of %s\n' "$1" >"$r/home/user/notes.txt"
	printf 'ELF? no, a benign stand-in library\n' >"$r/opt/app/libok.so"
	if [ "${2:-}" = bad ]; then
		printf 'benign stand-in for a trojanized library (chainsweep fleet test)\n' \
			>"$r/opt/app/ffmpeg.dll"
	fi
}
mk_host hostA bad
mk_host hostB
mk_host hostC bad
mk_host hostD
SHA=$(printf 'benign stand-in for a trojanized library (chainsweep fleet test)\n' | sha256sum | cut -d' ' -f1)
mkdir -p "$W/intel"
printf '%s\n' "$SHA" >"$W/intel/hashes.txt"
OPDB=$W/op.db
"$CS" --quiet --db "$OPDB" intel import "$W/intel/hashes.txt" >/dev/null
cs --db "$OPDB" fleet publish $F

agent() { # NAME [extra options]
	local h=$1
	shift
	"$CS" agent --config "$W/fleet/agents/$h.conf" --root "$W/hosts/$h" \
		--state-dir "$W/state/$h" "$@"
}
collect() { cs fleet collect $F --idle-exit "${1:-3}" 2>>"$W/collector.log"; }
status_of() { # HUNT HOST
	"$CS" --json fleet status "$1" | python3 -c "
import json,sys
for l in sys.stdin:
    r=json.loads(l)
    if r.get('host')=='$2': print(r['state'], r['findings'])"
}
psql_n() { psql "$PG" -Atc "$1"; }

# --- A hunt: hit, clean, not yet seen, then the latecomer -------------
H1=$(cs fleet hunt $F --host hostA --host hostB --host hostC --sweep files --max-runtime 120)
agent hostA --once >>"$W/agentA.log" 2>&1 || fail "agent hostA"
agent hostB --once >>"$W/agentB.log" 2>&1 || fail "agent hostB"
collect
[ "$(status_of "$H1" hostA)" = "done 1" ] || fail "hostA: $(status_of "$H1" hostA)"
[ "$(status_of "$H1" hostB)" = "done 0" ] || fail "hostB: $(status_of "$H1" hostB)"
[ "$(status_of "$H1" hostC)" = "not-seen 0" ] || fail "hostC: $(status_of "$H1" hostC)"
set +e
cs fleet status "$H1" >"$W/status1.txt"
rc=$?
set -e
[ $rc -eq 1 ] || fail "fleet status exit $rc (want 1: a hit)"
grep -q "1 not yet seen" "$W/status1.txt" || fail "status: $(cat "$W/status1.txt")"
ok "hunt $H1: hostA hit, hostB clean, hostC not yet seen"

agent hostC --once >>"$W/agentC.log" 2>&1 || fail "agent hostC"
collect
[ "$(status_of "$H1" hostC)" = "done 1" ] || fail "hostC late: $(status_of "$H1" hostC)"
ok "hostC, offline at the start, answered when it came back"

# Exactly once: a second start runs nothing again.
agent hostA --once >>"$W/agentA.log" 2>&1 || fail "agent hostA again"
collect
[ "$(psql_n "select count(*) from sweep where hunt='$H1' and host='hostA'")" = 1 ] ||
	fail "hostA ran the hunt twice"
ok "a restarted agent does not run a hunt again"

# The fleet report: every host, hits and the unanswered.
cs fleet report "$H1" --out "$W/report" >/dev/null || true
[ -s "$W/report/report.html" ] || fail "no fleet report"
grep -q hostA "$W/report/findings.jsonl" || fail "report misses hostA's finding"
ok "fleet report written"

# --- A stopped hunt is never run ----------------------------------------
H2=$(cs fleet hunt $F --host hostB --sweep files)
cs fleet stop $F "$H2" >/dev/null
agent hostB --once >>"$W/agentB.log" 2>&1 || fail "agent hostB (stopped hunt)"
collect
[ "$(psql_n "select count(*) from sweep where hunt='$H2'")" = 0 ] || fail "a stopped hunt ran"
ok "a stopped hunt is not run"

# --- Labels ---------------------------------------------------------------
H3=$(cs fleet hunt $F --label finance --sweep files)
agent hostD --once >>"$W/agentD.log" 2>&1 || fail "agent hostD"
agent hostB --once >>"$W/agentB.log" 2>&1 || fail "agent hostB (label hunt)"
collect
[ "$(status_of "$H3" hostD)" = "done 0" ] || fail "hostD: $(status_of "$H3" hostD)"
[ -z "$(status_of "$H3" hostB)" ] || fail "hostB is not in the finance hunt"
[ "$(psql_n "select count(*) from sweep where hunt='$H3' and host='hostB'")" = 0 ] ||
	fail "hostB ran a hunt for another label"
grep -q "^end $H3 0 untargeted " "$W/state/hostB/journal" ||
	fail "hostB's journal does not close the hunt it was not addressed"
ok "a hunt by label reaches only that label's hosts"

# --- Another host's credentials -------------------------------------------
# (paths in an agent configuration are relative to its folder)
sed -e "s/^host=.*/host=hostA/" "$W/fleet/agents/hostB.conf" >"$W/fleet/agents/liar.conf"
H4=$(cs fleet hunt $F --host hostA --sweep files)
set +e
timeout 60 "$CS" agent --config "$W/fleet/agents/liar.conf" --root "$W/hosts/hostB" \
	--state-dir "$W/state/liar" --once --wait 5 >"$W/liar.log" 2>&1
set -e
collect
[ "$(status_of "$H4" hostA)" = "not-seen 0" ] || fail "hostB spoke for hostA: $(status_of "$H4" hostA)"
grep -q "Permissions Violation\|not permitted\|NOT_PERMITTED\|Not Permitted" "$W/liar.log" ||
	fail "the liar was not refused by the server: $(tail -3 "$W/liar.log")"
cs fleet report "$H4" --out "$W/report4" >/dev/null || true
grep -q "NO ANSWER" "$W/report4/report.html" || fail "the fleet report does not say hostA did not answer"
ok "an agent with hostB's key cannot speak for hostA; the report lists hostA as not answered"

# --- kill -9 of an agent mid-hunt -----------------------------------------
# A slow hunt: many files read at a low rate.
for i in $(seq 1 200); do head -c 65536 /dev/urandom >"$W/hosts/hostB/home/user/blob$i"; done
H5=$(cs fleet hunt $F --host hostB --sweep files --max-rate 1)
"$CS" agent --config "$W/fleet/agents/hostB.conf" --root "$W/hosts/hostB" \
	--state-dir "$W/state/hostB" >>"$W/agentB.log" 2>&1 &
apid=$!
pids+=("$apid")
for t in $(seq 1 100); do
	grep -q "hunt $H5: run 1 starts" "$W/agentB.log" && break
	sleep 0.1
done
sleep 1
kill -9 "$apid"
wait "$apid" 2>/dev/null || true
grep -q "hunt $H5: run 1 starts" "$W/agentB.log" || fail "the slow hunt did not start"
rm -f "$W"/hosts/hostB/home/user/blob*
agent hostB --once >>"$W/agentB.log" 2>&1 || fail "agent hostB after kill -9"
grep -q "hunt $H5: run 2 starts" "$W/agentB.log" || fail "run 2 did not start after kill -9"
collect
[ "$(status_of "$H5" hostB)" = "done 0" ] || fail "hostB after kill -9: $(status_of "$H5" hostB)"
ok "an agent killed mid-hunt runs it again after restart and finishes it"

# --- kill -9 of the collector mid-drain, and of the stream leader -----------
for h in hostA hostB hostC hostD; do
	for i in $(seq 1 30); do
		printf 'benign stand-in for a trojanized library (chainsweep fleet test)\n' \
			>"$W/hosts/$h/opt/app/copy$i.dll"
	done
done
H6=$(cs fleet hunt $F --all --sweep files)
before=$(psql_n "select count(*) from finding")
"$CS" --quiet fleet collect $F 2>>"$W/collector.log" &
cpid=$!
pids+=("$cpid")
"$CS" agent --config "$W/fleet/agents/hostA.conf" --root "$W/hosts/hostA" \
	--state-dir "$W/state/hostA" --once >>"$W/agentA.log" 2>&1 &
a1=$!
"$CS" agent --config "$W/fleet/agents/hostC.conf" --root "$W/hosts/hostC" \
	--state-dir "$W/state/hostC" --once >>"$W/agentC.log" 2>&1 &
a2=$!
sleep 0.5
leader=$(python3 -c "
import json, urllib.request
d = json.load(urllib.request.build_opener(urllib.request.ProxyHandler({})).open('http://127.0.0.1:$(cat "$W/nats/n1.mport")/jsz?accounts=true&streams=true', timeout=5))
for a in d.get('account_details', []):
    for s in a.get('stream_detail', []):
        if s['name'] == 'RESULTS':
            print(s.get('cluster', {}).get('leader', ''))" 2>/dev/null || true)
node=$("$NATS" node-of "$W/nats" "${leader:-n2}" || echo 2)
"$NATS" kill "$W/nats" "$node"
kill -9 "$cpid"
wait "$cpid" 2>/dev/null || true
wait "$a1" || fail "agent hostA during the leader kill"
wait "$a2" || fail "agent hostC during the leader kill"
"$NATS" restart "$W/nats" "$node"
agent hostB --once >>"$W/agentB.log" 2>&1 || fail "agent hostB (H6)"
agent hostD --once >>"$W/agentD.log" 2>&1 || fail "agent hostD (H6)"
# What the killed collector had fetched and not acknowledged comes again
# only after the consumer's ack wait (30 s): collect until every finding
# is in, for longer than that.
for t in $(seq 1 12); do
	collect 5
	[ $(($(psql_n "select count(*) from finding") - before)) -ge 120 ] && break
done
for h in hostA hostB hostC hostD; do
	s=$(status_of "$H6" $h)
	case $h in
	hostA | hostC) [ "$s" = "done 31" ] || fail "$h after the kills: $s" ;;
	*) [ "$s" = "done 30" ] || fail "$h after the kills: $s" ;;
	esac
done
after=$(psql_n "select count(*) from finding")
dups=$(psql_n "select count(*) from (select host, location, ind_value from finding group by 1,2,3 having count(*) > 1) d")
[ "$dups" = 0 ] || fail "$dups duplicate findings"
[ $((after - before)) -eq 120 ] || fail "findings: $before -> $after (want +120)"
ok "collector and stream leader killed mid-hunt: every finding once ($before -> $after)"

# --- The per-host result cap ------------------------------------------------
H11=$(cs fleet hunt $F --host hostC --sweep files --max-findings 5)
agent hostC --once >>"$W/agentC.log" 2>&1 || fail "agent hostC (capped hunt)"
collect
[ "$(status_of "$H11" hostC)" = "done 5" ] || fail "capped hunt: $(status_of "$H11" hostC)"
set +e
cs fleet status "$H11" >"$W/cap.txt"
set -e
grep -q "+26 not sent" "$W/cap.txt" || fail "the cap is not reported: $(cat "$W/cap.txt")"
ok "a host over its result cap sends the first 5 findings and reports the 26 others"

# --- Bundles refused ---------------------------------------------------------
# Signed by another key: a second fleet folder's key, the same operator.
cp "$W/fleet/operator.nk" "$W/stranger/f/operator.nk"
printf '%s\n' 0000000000000000000000000000000000000000000000000000000000000001 >"$W/intel/h2.txt"
"$CS" --quiet --db "$OPDB" intel import "$W/intel/h2.txt" >/dev/null
cs --db "$OPDB" fleet publish --dir "$W/stranger/f"
H7=$(cs fleet hunt $F --host hostD --sweep files)
agent hostD --once >>"$W/agentD.log" 2>&1 || true
collect
s=$(status_of "$H7" hostD)
case $s in refused*) ;; *) fail "a bundle signed by another key: $s" ;; esac
grep -q "bundle refused" "$W/agentD.log" || fail "agent did not say why"
ok "a bundle signed by another key is refused ($(grep -o 'bundle refused[^;]*' "$W/agentD.log" | tail -1 | head -c 100))"

# The right key publishes version 2: the refused hunt now runs, and its
# real run replaces the refusal.
cs --db "$OPDB" fleet publish $F
agent hostD --once >>"$W/agentD.log" 2>&1 || true
collect
[ "$(status_of "$H7" hostD)" = "done 30" ] || fail "after a good bundle, H7 on hostD: $(status_of "$H7" hostD)"
ok "once a good bundle arrives, the refused hunt runs and its result replaces the refusal"

# --- A key refused, then restored, while the agent runs ------------------
# libnats gives a connection up for good when a server refuses the key twice
# in a row; the agent opens a new one, with back-off, and works again once
# the key is back. hostD's key is swapped for one no host holds.
DKEY=$(awk -F'\t' '$1 == "hostD" { print $2 }' "$W/fleet/hosts.tsv")
SKEY=$(grep -o 'nkey: "U[A-Z0-9]*"' "$W/stranger/f/nats-auth.conf" | head -1 | cut -d'"' -f2)
[ -n "$DKEY" ] && [ -n "$SKEY" ] || fail "no key to swap (hostD: '$DKEY', other: '$SKEY')"
sed "s/$DKEY/$SKEY/" "$W/fleet/nats-auth.conf" >"$W/auth-no-d.conf"
# The program itself in the background (not the agent() function, whose
# subshell a kill would leave its child running).
"$CS" agent --config "$W/fleet/agents/hostD.conf" --root "$W/hosts/hostD" \
	--state-dir "$W/state/hostD" >>"$W/agentD.log" 2>&1 &
dpid=$!
pids+=("$dpid")
sleep 2
"$NATS" reload "$W/nats" "$W/auth-no-d.conf"
for t in $(seq 1 150); do
	grep -q "the connection was closed" "$W/agentD.log" && break
	sleep 0.2
done
grep -q "the connection was closed" "$W/agentD.log" ||
	fail "the agent did not notice that its refused connection was given up"
H7b=$(cs fleet hunt $F --host hostD --sweep files)
"$NATS" reload "$W/nats" "$W/fleet/nats-auth.conf"
for t in $(seq 1 30); do
	collect 2
	[ "$(status_of "$H7b" hostD)" = "done 30" ] && break
done
kill -0 "$dpid" 2>/dev/null || fail "the agent exited"
kill "$dpid" 2>/dev/null || true
wait "$dpid" 2>/dev/null || true
[ "$(status_of "$H7b" hostD)" = "done 30" ] ||
	fail "after the key came back: $(status_of "$H7b" hostD)"
ok "a connection given up while the key was refused is replaced once the key is back ($(grep -c 'the connection was closed' "$W/agentD.log") tries)"

# Rolled back: an older case publishes a lower version with the right key.
OLD=$W/old.db
"$CS" --quiet --db "$OLD" intel import "$W/intel/hashes.txt" >/dev/null
cs --db "$OLD" fleet publish $F
H8=$(cs fleet hunt $F --host hostD --sweep files 2>/dev/null || true)
agent hostD --once >>"$W/agentD.log" 2>&1 || true
grep -q "rollback" "$W/agentD.log" || fail "a rolled-back bundle was not refused"
ok "a rolled-back bundle is refused"

# Expired: valid for one second.
cs --db "$OPDB" fleet publish $F --expires 0.0003
sleep 2
H9=$(cs fleet hunt $F --host hostB --sweep files)
agent hostB --once >>"$W/agentB.log" 2>&1 || true
grep -q "expired" "$W/agentB.log" || fail "an expired bundle was not refused"
ok "an expired bundle is refused"
# --- A full results stream: reported, kept, delivered later --------------
URLS2=$("$NATS" start "$W/nats2" 1 "$W/fleet/nats-auth.conf")
cs fleet setup $F --servers "$URLS2" --replicas 1 --results-max 8K
cs --db "$OPDB" fleet publish $F --servers "$URLS2"
H10=$(cs fleet hunt $F --servers "$URLS2" --host hostA --sweep files)
full_agent() {
	"$CS" agent --config "$W/fleet/agents/hostA.conf" --root "$W/hosts/hostA" \
		--state-dir "$W/state/hostA-full" --servers "$URLS2" --once --wait 4 >>"$W/full.log" 2>&1
}
set +e
full_agent
rc=$?
set -e
[ $rc -eq 2 ] || fail "the agent with a full stream exited $rc (want 2: results left in the spool)"
grep -q "results stream is full" "$W/full.log" || fail "the agent did not say the stream is full"
"$CS" fleet status $F --servers "$URLS2" "$H10" >"$W/full-status.txt" || true
grep -q "FULL" "$W/full-status.txt" || fail "fleet status does not say the stream is full: $(head -2 "$W/full-status.txt")"
for t in 1 2 3 4 5 6 7 8; do
	cs fleet collect $F --servers "$URLS2" --idle-exit 2 2>>"$W/collector.log"
	full_agent && break
done
cs fleet collect $F --servers "$URLS2" --idle-exit 2 2>>"$W/collector.log"
[ "$(status_of "$H10" hostA)" = "done 31" ] || fail "after the full stream: $(status_of "$H10" hostA)"
ok "a full results stream is reported, the results wait in the spool and arrive once it drains"
echo "PASS"

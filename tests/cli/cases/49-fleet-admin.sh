# fleet init and fleet enroll: the operator's fleet folder, what each file
# is (mode), the agent configuration, the nats-server fragment's users,
# rotation, and the refusals (a folder in use, a bad host id, an enrolled
# host, a bad URL or label, a folder that is not a fleet's). Keys are
# random: shown as <nkey>.
x() { "$@"; echo "[exit $?]"; }
nk() { sed -e 's/U[A-Z2-7]\{55\}/<nkey>/g' -e 's/key [0-9A-F]\{16\}/key <id>/'; }
x $CS fleet init --dir fl
find fl -printf '%m %P\n' | sort -k2
cat fl/hosts.tsv
x $CS fleet init --dir fl
x $CS fleet enroll --dir fl --labels finance,eu --servers nats://n1.example.org:4222,tls://n2.example.org:4222 ws-17 ws-18 | nk
cat fl/agents/ws-17.conf
cut -f1,3 fl/hosts.tsv
grep -c '^      {nkey: "U' fl/nats-auth.conf
grep -E 'agent ws-17' -A3 fl/nats-auth.conf | nk
grep -v '^#' fl/nats-auth.conf | grep -cE 'no_auth_user|authorization'
old=$(cat fl/agents/ws-17.nk)
x $CS fleet enroll --dir fl ws-17
x $CS fleet enroll --dir fl --rotate ws-17 | nk
[ "$old" != "$(cat fl/agents/ws-17.nk)" ] && echo "ws-17: a new seed"
grep -c "$(sed -n 's/^ws-17\t\(U[^\t]*\).*/\1/p' fl/hosts.tsv)" fl/nats-auth.conf
grep '^labels\|^servers' fl/agents/ws-17.conf
x $CS fleet enroll --dir fl 'ws.19'
x $CS fleet enroll --dir fl --servers http://n1:80 ws-19
x $CS fleet enroll --dir fl --labels 'a b' ws-19
x $CS fleet enroll --dir fl ws-19 ws-19
x $CS fleet enroll --dir nowhere ws-19
x $CS fleet enroll --dir fl
x $CS fleet init
cut -f1 fl/hosts.tsv

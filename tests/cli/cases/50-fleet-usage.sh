# The fleet's commands without servers: `help fleet` lists the group, and
# each mistake a first user makes gets a message naming what is missing.
x() { "$@"; echo "[exit $?]"; }
x $CS help fleet
unset CHAINSWEEP_FLEET_PG CHAINSWEEP_FLEET
x $CS fleet hunt --dir fl
x $CS fleet hunt --dir fl --all --sweep everything
x $CS fleet hunt --dir fl --all
x $CS fleet status h-1
x $CS fleet setup --dir nowhere
x $CS agent --config nowhere.conf
printf 'host=ws-1\nbogus=1\n' > bad.conf
x $CS agent --config bad.conf
x $CS --db case.db fleet publish --dir fl --servers nats://127.0.0.1:1

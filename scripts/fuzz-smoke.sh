#!/usr/bin/env bash
# Run every libFuzzer target for a few seconds from its seed corpus.
# usage: fuzz-smoke.sh BUILD_DIR SECONDS
# A crash, leak or sanitizer report fails the run; new corpus entries go
# to a temporary folder so that the checkout stays clean.
set -eu
build=$1
secs=${2:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
for bin in "$build"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	seeds="$top/fuzz/corpus/${name#fuzz_}"
	mkdir -p "$work/$name"
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work/$name"/ 2>/dev/null || true
	echo "fuzz: $name for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$work/" -print_final_stats=0 "$work/$name" \
		>"$work/$name.log" 2>&1; then
		tail -n 40 "$work/$name.log"
		echo "fuzz: $name FAILED" >&2
		for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
			[ -e "$a" ] && echo "fuzz: reproducer $(basename "$a"): $(head -c 200 "$a" | od -c | head -3)"
		done
		exit 1
	fi
	grep -E "^#[0-9]+.*(DONE|pulse)" "$work/$name.log" | tail -n 1 || true
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "fuzz: no targets built in $build" >&2; exit 1; }
echo "fuzz: $n targets ran clean"

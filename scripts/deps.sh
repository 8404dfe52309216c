#!/usr/bin/env bash
# Install the Debian packages chainsweep builds, tests and benchmarks with,
# when any is missing. Runs apt-get as root (or through sudo); does nothing
# when everything is already there.
set -eu
pkgs="build-essential cmake pkg-config clang libclang-rt-14-dev llvm
      libyara-dev yara libjansson-dev libsqlite3-dev sqlite3 libssl-dev
      libcmocka-dev libarchive-dev libhyperscan-dev libyaml-dev libxml2-utils
      jq time ripgrep
      zlib1g-dev liblzma-dev libbz2-dev libisal-dev libdeflate-dev liblzo2-dev
      zip unzip bzip2 xz-utils zstd lz4 lzip lzop ncompress sharutils
      libarchive-tools p7zip-full cpio binutils python3
      chromium zsh groff-base man-db
      nats-server libnats-dev libsodium-dev minisign postgresql libpq-dev"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing

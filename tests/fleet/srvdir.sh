#!/bin/sh
# A folder for a test server's files at PATH (under the build folder) that
# the server's unprivileged user can reach; prints the folder to use.
#
#   srvdir.sh PATH      create PATH (as a folder, or as a link to one)
#   srvdir.sh -r PATH   remove PATH and what it links to
#
# As root the servers run as nobody, who must be able to enter every
# folder above PATH. A clone under a closed folder (/root/...) is not:
# then PATH becomes a link to a fresh 0755 folder under /tmp (the link
# keeps it visible in the build folder; -r removes both).
set -eu
if [ "$1" = -r ]; then
	p=$2
	if [ -L "$p" ]; then
		t=$(readlink -f "$p")
		case $t in /tmp/chainsweep-srv.*) rm -rf "$t" ;; esac
	fi
	rm -rf "$p"
	exit 0
fi
p=$1
mkdir -p "$(dirname "$p")"
if [ "$(id -u)" -ne 0 ] ||
	setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$(dirname "$p")" 2>/dev/null; then
	mkdir -p "$p"
	cd "$p" && pwd -P
	exit 0
fi
if [ -L "$p" ] && [ -d "$p" ]; then
	readlink -f "$p"
	exit 0
fi
t=$(mktemp -d /tmp/chainsweep-srv.XXXXXX)
chmod 0755 "$t"
rmdir "$p" 2>/dev/null || true
ln -s "$t" "$p"
echo "$t"

#!/bin/sh
# ensure_deb.sh WHAT PACKAGE COMMAND...: put a service the integration tests use on PATH.
# Does nothing when one of COMMAND... is already there; otherwise installs Debian's PACKAGE with
# apt-get (as root, or with sudo -n). Idempotent and quiet. When that is impossible it says what
# to install and exits 0, so `make test` still runs; the tests needing it then skip, naming the
# ensure_*.sh script that calls this one. One script for every service (Redis, Java, Chromium).
set -eu
what=$1
package=$2
shift 2
for cmd in "$@"; do
    if command -v "$cmd" >/dev/null 2>&1; then
        exit 0
    fi
done
name=$(basename "${ENSURE_NAME:-$0}")
if ! command -v apt-get >/dev/null 2>&1; then
    echo "$name: no $1 and no apt-get; install $package for $what" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -n"
    else
        echo "$name: not root and no sudo; install $package for $what" >&2
        exit 0
    fi
fi
# Some post-install scripts (the JRE's) fail when this man directory is missing (slim images).
$SUDO mkdir -p /usr/share/man/man1
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && \
       $SUDO apt-get install -y -qq --no-install-recommends "$package"; } >/dev/null 2>&1
then
    echo "$name: installing $package failed; $what will skip" >&2
fi
exit 0

#!/bin/sh
# Put a redis-server binary on PATH for the Redis tests (tests/_redis_server.py starts a private
# one on a free loopback port). Idempotent and quiet: does nothing when redis-server is already
# there; otherwise installs Debian/Ubuntu's package with apt. If that is impossible it says so
# and exits 0 — the Redis tests then skip, naming this script.
set -eu
command -v redis-server >/dev/null 2>&1 && exit 0
if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    if $SUDO apt-get update -qq >/dev/null 2>&1 &&
        $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null 2>&1; then
        :
    fi
fi
if ! command -v redis-server >/dev/null 2>&1; then
    echo "ensure_redis.sh: could not install redis-server (need apt-get as root or sudo);" \
        "the Redis tests will be skipped" >&2
fi
exit 0

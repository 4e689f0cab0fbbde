#!/bin/sh
# Spark (the `spark` extra, tests/test_spark.py) needs a Java 17+ runtime. Install Debian's
# headless OpenJDK 17 when no `java` is on PATH; do nothing otherwise. Idempotent and quiet.
# Needs root (or sudo) and apt-get; elsewhere it says what to install and exits 0, so
# `make test` still runs (the Spark tests then skip with that reason).
set -eu
if command -v java >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_java: no java and no apt-get; install a Java 17+ runtime for the Spark tests" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -n"
    else
        echo "ensure_java: not root and no sudo; install openjdk-17-jre-headless for Spark" >&2
        exit 0
    fi
fi
# The JRE's post-install script fails when this man directory is missing (slim images).
$SUDO mkdir -p /usr/share/man/man1
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && \
       $SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless; } >/dev/null
then
    echo "ensure_java: installing openjdk-17-jre-headless failed; the Spark tests will skip" >&2
fi
exit 0

#!/bin/sh
# The browser test (tests/test_report_html.py, marker `browser`) renders report.html in a real
# headless Chromium. Install Debian's `chromium` when no chromium binary is on PATH; do nothing
# otherwise. Idempotent and quiet. Needs root (or sudo) and apt-get; elsewhere it says what to
# install and exits 0, so `make test` still runs (the browser tests then skip, naming this script).
set -eu
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: no chromium and no apt-get; install Chromium for the browser tests" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -n"
    else
        echo "ensure_chromium: not root and no sudo; install the chromium package" >&2
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && \
       $SUDO apt-get install -y -qq --no-install-recommends chromium; } >/dev/null 2>&1
then
    echo "ensure_chromium: installing chromium failed; the browser tests will skip" >&2
fi
exit 0

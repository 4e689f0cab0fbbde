#!/bin/sh
# The browser tests (tests/test_report_html.py, marker `browser`) render report.html in a real
# headless Chromium.
ENSURE_NAME=ensure_chromium.sh exec sh "$(dirname "$0")/ensure_deb.sh" "the browser tests" chromium chromium chromium-browser

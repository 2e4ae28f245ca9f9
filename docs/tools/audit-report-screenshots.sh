#!/bin/bash
# Regenerates docs/images/audit-report-en.png and audit-report-zh_CN.png:
# an audit report of a few refusals, token uses and an administrator's
# grant, rendered by Debian's headless Chromium, in English and in
# Chinese. Runs the integration test
# t_audit_report_prints_in_a_browser_in_english_and_chinese (as root, like
# every root test) with IDGUARD_SCREENSHOT_DIR pointing here.
#
#   docs/tools/audit-report-screenshots.sh      (from the top of the tree, after make)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export BUILD=${BUILD:-$ROOT/build}
export IDGUARD_SCREENSHOT_DIR=$ROOT/docs/images
exec "$ROOT/tests/integration/run.sh" t_audit_report_prints_in_a_browser_in_english_and_chinese

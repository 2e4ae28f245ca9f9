#!/bin/bash
# Regenerates docs/images/notification-en.png and notification-zh_CN.png:
# a camera refused to a clerk, as idguard-notify shows it through dunst
# in a real (Xvfb) session, in English and in Chinese. Runs the
# integration test t_notify_screenshots (as root, like every root test)
# with IDGUARD_SCREENSHOT_DIR pointing here.
#
#   docs/tools/notification-screenshots.sh      (from the top of the tree, after make)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export BUILD=${BUILD:-$ROOT/build}
export IDGUARD_SCREENSHOT_DIR=$ROOT/docs/images
exec "$ROOT/tests/integration/run.sh" t_notify_screenshots

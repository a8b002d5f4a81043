#!/usr/bin/env bash
# Smoke test of the real window: start the app on a virtual X screen, take a screenshot of the
# screen with ImageMagick, and check that it shows a window (many colours, not a blank screen).
set -euo pipefail
cd "$(dirname "$0")/.."
shot="${1:-/tmp/cnnviz-smoke.png}"
display=":97"
Xvfb "$display" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
app_pid=""
cleanup() { [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null; kill "$xvfb_pid" 2>/dev/null || true; }
trap cleanup EXIT
sleep 2
export XDG_CONFIG_HOME="$(mktemp -d)"  # leave the user's settings alone
unset QT_QPA_PLATFORM
DISPLAY="$display" .venv/bin/cnnviz --model resnet18 &
app_pid=$!
for _ in $(seq 1 60); do  # the window shows before torch loads; the model follows
    sleep 2
    kill -0 "$app_pid" 2>/dev/null || { echo "smoke: the app exited early" >&2; exit 1; }
    DISPLAY="$display" import -window root "$shot" 2>/dev/null || continue
    colours=$(convert "$shot" -format %k info:)
    [ "$colours" -gt 200 ] && { echo "smoke: window drawn ($colours colours in $shot)"; exit 0; }
done
echo "smoke: the screen stayed blank" >&2
exit 1

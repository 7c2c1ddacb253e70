#!/usr/bin/env bash
# Screenshot of one built page in headless Chromium (Debian: apt-get install -y chromium), to
# check by eye that math and outputs render. Optional: `make screenshot`, not part of `make test`.
#   .ci/screenshot.sh _build/html/notebooks/03_convlstm_cell.html _build/screenshot.png [WIDTH,HEIGHT]
# (Chromium's old headless mode and URL #anchors both gave blank pages here: we use
# --headless=new and a tall window instead.)
set -euo pipefail
page=${1:?usage: $0 PAGE.html OUT.png [WIDTH,HEIGHT]}
out=${2:?usage: $0 PAGE.html OUT.png [WIDTH,HEIGHT]}
size=${3:-1280,1600}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "no chromium found: apt-get install -y chromium" >&2; exit 2; }
[ -f "$page" ] || { echo "$page not found: run make book first" >&2; exit 2; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --virtual-time-budget=5000 --hide-scrollbars \
  --screenshot="$(realpath -m "$out")" --window-size="$size" "file://$(realpath "$page")" 2>/dev/null
echo "screenshot: $out"

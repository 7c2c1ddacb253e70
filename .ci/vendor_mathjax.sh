#!/usr/bin/env bash
# Vendor MathJax 3 for the book (no CDN): fetch the npm package once with `npm pack` into
# .cache/mathjax/, copy the files the CommonHTML TeX bundle loads into _vendor/mathjax/ (both
# git-ignored). book.yml serves _vendor/ as static files and sets mathjax_path to it.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${MATHJAX_VERSION:-3.2.2}
dest=_vendor/mathjax
stamp=$dest/.version
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$VERSION" ]; then exit 0; fi
command -v npm >/dev/null || { echo "npm is needed once to vendor MathJax $VERSION (apt-get install npm)" >&2; exit 2; }
cache=.cache/mathjax
mkdir -p "$cache"
tarball=$cache/mathjax-$VERSION.tgz
if [ ! -f "$tarball" ]; then
  (cd "$cache" && npm pack --silent "mathjax@$VERSION" >/dev/null)
fi
rm -rf "$cache/package" "$dest"
tar -xzf "$tarball" -C "$cache"
es5=$cache/package/es5
mkdir -p "$dest/output/chtml/fonts" "$dest/input/tex"
cp "$es5/tex-chtml.js" "$dest/"
cp -r "$es5/output/chtml/fonts/woff-v2" "$dest/output/chtml/fonts/"   # the CHTML web fonts
cp -r "$es5/input/tex/extensions" "$dest/input/tex/"                  # TeX packages autoloaded on use
cp -r "$es5/ui" "$es5/a11y" "$es5/sre" "$dest/"                       # the right-click menu, accessibility
cp "$cache/package/LICENSE" "$dest/"
echo "$VERSION" > "$stamp"
rm -rf "$cache/package"
echo "MathJax $VERSION vendored into $dest"

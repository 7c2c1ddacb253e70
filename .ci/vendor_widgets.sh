#!/usr/bin/env bash
# ipywidgets' HTML manager for the book. Usage: .ci/vendor_widgets.sh   (`make book` runs it)
#
# The notebooks keep the state of their widgets (nbclient stores it in the notebook's metadata);
# the book draws each widget as it was left with @jupyter-widgets/html-manager's standalone
# bundle (dist/embed.js: every standard control, no require.js, nothing fetched from a CDN).
# With npm: fetch the npm package once with `npm pack` into .cache/widgets/ and copy embed.js,
# its licence notices and the icon fonts it loads into _vendor/widgets/ (both git-ignored);
# book.yml serves _vendor/ as static files and loads widgets/embed.js on pages with widgets.
# CI (CI=true) requires this copy: without it the script fails (status 2). Elsewhere, without
# npm: a one-line notice; .ci/vendor_mathjax.sh then builds the book without the manager, and
# the widget areas of the book stay empty (the text below each widget says what it shows).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${WIDGETS_VERSION:-1.0.15}   # @jupyter-widgets/html-manager for ipywidgets 8
dest=_vendor/widgets
stamp=$dest/.version
cache=.cache/widgets
tarball=$cache/jupyter-widgets-html-manager-$VERSION.tgz
case "${CI:-}" in "" | false | 0) ci= ;; *) ci=1 ;; esac

[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$VERSION" ] && exit 0   # already vendored

why=
if [ ! -f "$tarball" ]; then
  if ! command -v npm >/dev/null; then
    why="npm not found"
  else
    mkdir -p "$cache"
    (cd "$cache" && npm pack --silent "@jupyter-widgets/html-manager@$VERSION" >/dev/null) \
      || why="npm pack @jupyter-widgets/html-manager@$VERSION failed"
  fi
fi
if [ -n "$why" ]; then
  if [ -n "$ci" ]; then
    echo "error: $why: CI builds the book with the vendored widget manager $VERSION (fetched once by npm pack; apt-get install npm)" >&2
    exit 2
  fi
  echo "notice: $why, so the book shows no widgets (their areas stay empty); install npm (apt-get install npm) and rerun make book" >&2
  exit 0
fi
rm -rf "$cache/package" "$dest"
tar -xzf "$tarball" -C "$cache"
mkdir -p "$dest"
dist=$cache/package/dist
cp "$dist/embed.js" "$dist/embed.js.LICENSE.txt" "$dest/"
# The Font Awesome icons its stylesheet loads, relative to embed.js (woff2 first; the rest for old browsers).
find "$dist" -maxdepth 1 -type f \( -name '*.woff2' -o -name '*.woff' -o -name '*.ttf' -o -name '*.eot' -o -name '*.svg' \) \
  -exec cp {} "$dest/" \;
cp "$cache/package/LICENSE" "$dest/LICENSE" 2>/dev/null || true
echo "$VERSION" > "$stamp"
rm -rf "$cache/package"
echo "@jupyter-widgets/html-manager $VERSION vendored into $dest"

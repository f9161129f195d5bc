#!/usr/bin/env bash
# Refresh the MathJax copy the book ships (docs/_static/mathjax): the one combined TeX -> CommonHTML
# script with every TeX extension built in (no extension is fetched at view time) and its woff
# fonts, from the npm registry. npm checks the tarball against the registry's integrity hash.
set -euo pipefail
version=${1:-3.2.2}
dest="$(cd "$(dirname "$0")" && pwd)/_static/mathjax"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "mathjax@$version" >/dev/null && tar xzf mathjax-*.tgz)
rm -rf "$dest"
mkdir -p "$dest/output/chtml/fonts"
cp "$work/package/es5/tex-chtml-full.js" "$work/package/LICENSE" "$dest/"
cp -r "$work/package/es5/output/chtml/fonts/woff-v2" "$dest/output/chtml/fonts/"
echo "MathJax $version -> $dest ($(du -sh "$dest" | cut -f1))"

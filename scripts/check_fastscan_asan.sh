#!/usr/bin/env bash
# Run the tests that drive the optional compiled walk (src/tlslens/flows/_fastscan.c)
# against a copy built with AddressSanitizer and UndefinedBehaviorSanitizer: damaged,
# truncated and hostile captures must never read or write out of bounds there.
#
#   scripts/check_fastscan_asan.sh [extra pytest arguments]
#
# Needs gcc with libasan/libubsan. Works on a throw-away copy of src/ (the installed
# extension is not touched); the corpus tests run when ../shared/corpus exists.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
work="$tmp/repo"
mkdir "$work"
cp -r "$repo/src" "$repo/tests" "$work/"
if [ -d "$repo/../shared" ]; then ln -s "$(cd "$repo/../shared" && pwd)" "$tmp/shared"; fi
find "$work/src" -name '_fastscan*.so' -delete
include="$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
suffix="$(python3 -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"
gcc -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
    -fPIC -shared -I"$include" "$repo/src/tlslens/flows/_fastscan.c" \
    -o "$work/src/tlslens/flows/_fastscan$suffix"
cd "$work"
LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
ASAN_OPTIONS=detect_leaks=0 PYTHONPATH="$work/src" \
    python3 -c 'import sys, tlslens.flows.lane as lane, tlslens.flows._fastscan as c
assert lane.COMPILED and c.__file__.startswith(sys.argv[1]), "not the ASan build"' "$work"
LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
ASAN_OPTIONS=detect_leaks=0 PYTHONPATH="$work/src" \
    python3 -m pytest -q -p no:cacheprovider --capture=sys tests/unit/flows tests/unit/capture tests/robustness "$@"

#!/usr/bin/env bash
# Run the tests that drive the optional C extensions against copies built with
# AddressSanitizer and UndefinedBehaviorSanitizer: damaged, truncated and hostile captures,
# records and hellos must never read or write out of bounds there. The extensions:
# src/tlslens/flows/_fastscan.c (the compiled walk), src/tlslens/tls/_fasthello.c (the
# hello reader), src/tlslens/tls/_fastrec.c (the record splitter),
# src/tlslens/tls/_fastsession.c (whole records handed to a session),
# src/tlslens/analysis/_fastbuild.c (the message ladder), src/tlslens/report/_fastjson.c
# (the ladder's JSON), src/tlslens/_fastinit.c (the model's __init__).
#
#   scripts/check_compiled_asan.sh [extra pytest arguments]
#
# Needs gcc with libasan/libubsan. Works on a throw-away copy of src/ (the installed
# extensions are not touched); the corpus tests run when ../shared/corpus exists.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
work="$tmp/repo"
mkdir "$work"
cp -r "$repo/src" "$repo/tests" "$repo/scripts" "$work/"
if [ -d "$repo/../shared" ]; then ln -s "$(cd "$repo/../shared" && pwd)" "$tmp/shared"; fi
find "$work/src" -name '_fast*.so' -delete
include="$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
suffix="$(python3 -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"
for module in flows/_fastscan tls/_fasthello tls/_fastrec tls/_fastsession analysis/_fastbuild \
        report/_fastjson _fastinit; do
    gcc -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
        -fPIC -shared -I"$include" "$repo/src/tlslens/$module.c" \
        -o "$work/src/tlslens/$module$suffix"
done
cd "$work"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS=detect_leaks=0 PYTHONPATH="$work/src"
python3 -c 'import sys, tlslens.flows.lane as lane, tlslens.tls.handshake as hs, tlslens.fastinit as fi
import tlslens.tls.records as rec, tlslens.flows._fastscan as a, tlslens.tls._fasthello as b
import tlslens._fastinit as c, tlslens.tls._fastrec as d, tlslens.tls._fastsession as e
import tlslens.tls.session as ses, tlslens.analysis.build as bld, tlslens.analysis._fastbuild as f
assert lane.COMPILED and hs.COMPILED and fi.COMPILED and rec.COMPILED and ses.COMPILED, "not built"
import tlslens.report.json_report as jr, tlslens.report._fastjson as g
assert bld.LADDER is not None and jr.MESSAGES_JSON is not None, "not built"
assert all(m.__file__.startswith(sys.argv[1]) for m in (a, b, c, d, e, f, g)), "not the ASan build"' "$work"
python3 -m pytest -q -p no:cacheprovider --capture=sys tests/unit/flows tests/unit/capture \
    tests/unit/tls tests/unit/analysis tests/unit/report/test_fastjson.py \
    tests/unit/test_fastinit.py tests/robustness "$@"

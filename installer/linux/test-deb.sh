#!/usr/bin/env bash
# Build the .deb, install it, use it, upgrade it to a newer version number, remove it — as a clinic's IT
# person would — and check that the clinic's data survives every step. Needs root (or sudo) and Xvfb.
# Prints the measurements installer/README.md reports (bundle size, install time, cold start).
#   installer/linux/test-deb.sh [--reuse]
set -euo pipefail
cd "$(dirname "$0")/../.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }

# a package left by an interrupted run would make this build a downgrade
dpkg-query -W dermstation >/dev/null 2>&1 && $SUDO apt-get purge -y -qq dermstation >/dev/null
rm -f dist/dermstation_*.deb dist/dermstation-*.tar.gz dist/SHA256SUMS
scripts/build-package.sh ${1:+"$1"}   # --reuse: repackage an existing dist/dermstation/
v1="$(.venv/bin/python -c 'import dermstation; print(dermstation.__version__)')"
v2="$v1.1"  # a newer Debian version of the same build
arch="$(dpkg --print-architecture)"
(cd dist && sha256sum -c --quiet SHA256SUMS) || fail "checksums"

data="$(mktemp -d)"; export DERMSTATION_DATA_DIR="$data"
start=$(date +%s%N)
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./dist/dermstation_${v1}_${arch}.deb" >/dev/null
install_s=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$(readlink -f "$(command -v dermstation)")" = /opt/dermstation/dermstation ] || fail "dermstation is not on the PATH"
desktop-file-validate /usr/share/applications/dermstation.desktop 2>/dev/null || true

# the installed program, without Python or the checkout: version with model hashes, a headless analysis
cd /tmp
dermstation --version | tee /tmp/dermstation-version.txt
grep -q "^DermStation $v1" /tmp/dermstation-version.txt || fail "--version"
for card in "$OLDPWD"/models/segmenter.json "$OLDPWD"/models/classifier.json; do
  sha="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sha256"])' "$card")"
  grep -q "$sha" /tmp/dermstation-version.txt || fail "--version lacks $sha"
done
grep -q "DOES NOT MATCH" /tmp/dermstation-version.txt && fail "a model file does not match its card"
dermstation doctor || fail "doctor"
dermstation analyze "$OLDPWD/tests/data/isic/ISIC_0000009.jpg" --json --provider cpu > /tmp/dermstation-analyze.json \
  || fail "analyze"
python3 -c 'import json; r=json.loads(open("/tmp/dermstation-analyze.json").readline()); assert r["ok"], r' \
  || fail "analyze result"

# the GUI from the installed files, under Xvfb: cold start to the first window (first run: creates the database)
start=$(date +%s%N)
DERMSTATION_SMOKE_TEST=1 timeout 120 xvfb-run -a dermstation | tee /tmp/dermstation-gui.txt
cold_s=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q "window shown" /tmp/dermstation-gui.txt || fail "the GUI did not show a window"
db="$data/dermstation.sqlite3"
[ -f "$db" ] || fail "no database after the first start"
start=$(date +%s%N)
DERMSTATION_SMOKE_TEST=1 timeout 120 xvfb-run -a dermstation >/dev/null
warm_s=$(( ($(date +%s%N) - start) / 1000000 ))
cd "$OLDPWD"
state() { cat "$data"/dermstation.sqlite3* | sha256sum | cut -d' ' -f1; }  # the database and its WAL
before="$(state)"

# upgrade to a newer version number: data kept, new version runs
scripts/build-package.sh --reuse --version "$v2" >/dev/null
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./dist/dermstation_${v2}_${arch}.deb" >/dev/null
dermstation --version | grep -q "^DermStation $v2" || fail "upgrade did not install $v2"
[ "$(state)" = "$before" ] || fail "the upgrade changed the clinic's database"
DERMSTATION_SMOKE_TEST=1 timeout 120 xvfb-run -a dermstation | grep -q "window shown" || fail "GUI after upgrade"

# remove (and purge): program gone, data kept
$SUDO apt-get purge -y -qq dermstation >/dev/null
[ ! -e /opt/dermstation ] && [ ! -e /usr/bin/dermstation ] || fail "files left after removal"
[ -f "$db" ] || fail "removal deleted the clinic's database"

echo "test-deb: OK"
echo "bundle: $(du -sh dist/dermstation | cut -f1) on disk; .deb $(du -h "dist/dermstation_${v1}_${arch}.deb" | cut -f1)"
echo "install: ${install_s} ms; GUI cold start to the first window: ${cold_s} ms (first run, creates the database);" \
  "again: ${warm_s} ms"
rm -rf "$data"

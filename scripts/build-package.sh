#!/usr/bin/env bash
# Build the self-contained DermStation package (PyInstaller, one folder) and, on Linux, its .deb.
#   scripts/build-package.sh                   build dist/dermstation/ and dist/dermstation_<version>_<arch>.deb
#   scripts/build-package.sh --version 0.2.0   stamp another version into the package (upgrade tests)
#   scripts/build-package.sh --reuse           repackage the existing dist/dermstation/ (no PyInstaller run)
# Writes dist/SHA256SUMS for every artefact. The bundle needs no Python or virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
version="" reuse=""
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --reuse) reuse=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x .venv/bin/python ] || scripts/setup.sh
.venv/bin/python -m pip install -q -e ".[package]"
version="${version:-$(.venv/bin/python -c 'import dermstation; print(dermstation.__version__)')}"
mkdir -p dist

if [ -z "$reuse" ] || [ ! -x dist/dermstation/dermstation ]; then
  # compiled catalogues (the installed program folder is read-only), the way the app compiles them itself
  .venv/bin/python - <<'PY'
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

for po in Path("translations").glob("*/LC_MESSAGES/*.po"):
    with po.open("rb") as source, po.with_suffix(".mo").open("wb") as target:
        write_mo(target, read_po(source))
PY
  .venv/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
    installer/pyinstaller/dermstation.spec
fi
echo "$version" > dist/dermstation/_internal/VERSION   # read by dermstation/__init__.py in a packaged build
tar -C dist -czf "dist/dermstation-$version-linux-$(uname -m).tar.gz" dermstation

if command -v dpkg-deb >/dev/null; then
  arch="$(dpkg --print-architecture)"
  root="build/deb/dermstation_${version}_${arch}"
  rm -rf "$root"
  mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/usr/share/applications" \
    "$root/usr/share/icons/hicolor/scalable/apps" "$root/usr/share/doc/dermstation"
  cp -a dist/dermstation "$root/opt/dermstation"
  ln -s /opt/dermstation/dermstation "$root/usr/bin/dermstation"
  cp installer/linux/deb/dermstation.desktop "$root/usr/share/applications/dermstation.desktop"
  cp resources/ui/icons/app.svg "$root/usr/share/icons/hicolor/scalable/apps/dermstation.svg"
  cp installer/linux/deb/copyright "$root/usr/share/doc/dermstation/copyright"
  size_kb="$(du -sk "$root" | cut -f1)"
  sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size_kb/" \
    installer/linux/deb/control > "$root/DEBIAN/control"
  install -m 0755 installer/linux/deb/postinst installer/linux/deb/postrm "$root/DEBIAN/"
  fakeroot dpkg-deb --build -Zgzip -z6 "$root" "dist/dermstation_${version}_${arch}.deb" >/dev/null
fi
(cd dist && sha256sum dermstation-*.tar.gz dermstation_*.deb 2>/dev/null > SHA256SUMS)
echo "built:"; (cd dist && ls -la dermstation_*.deb dermstation-*.tar.gz SHA256SUMS 2>/dev/null)

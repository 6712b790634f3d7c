#!/usr/bin/env bash
# Set up everything DermStation needs on a Debian/Ubuntu machine with Python 3.11+:
# the system libraries Qt needs, then a virtual environment in .venv with the package installed.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh dev      runtime + test tools
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-}"

# Qt's xcb/offscreen platforms and fonts need these shared libraries; install them when we can.
SYSTEM_PACKAGES=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0 libxcb-render-util0
  libxcb-image0 libxcb-xinerama0 libxcb-xkb1 fonts-dejavu-core)
if [ "$extra" = "dev" ]; then
  SYSTEM_PACKAGES+=(xvfb xauth poppler-utils postgresql)
  # the PACS tests: a real Orthanc (with its worklists plugin) and DICOMweb; dciodvfy checks sent files
  SYSTEM_PACKAGES+=(orthanc orthanc-dicomweb dicom3tools)
fi
missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "Installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Please install these system packages: ${missing[*]}" >&2
  fi
fi

PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "$extra" = "dev" ]; then
  .venv/bin/python -m pip install -q -e ".[dev]"
else
  .venv/bin/python -m pip install -q -e .
fi

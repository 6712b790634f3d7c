#!/usr/bin/env bash
# Install DermStation for the current user on Linux: set up .venv in this checkout, then add a
# launcher to the desktop menu. Clinic data stays in the user data directory, never in the checkout.
#   installer/linux/install.sh            install
#   installer/linux/install.sh --remove   remove the launcher (data is kept)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/scalable/apps"

if [ "${1:-}" = "--remove" ]; then
  rm -f "$apps/dermstation.desktop" "$icons/dermstation.svg"
  echo "Launcher removed. Clinic data was not touched."
  exit 0
fi

[ -n "${DERMSTATION_SKIP_SETUP:-}" ] || "$root/scripts/setup.sh"
mkdir -p "$apps" "$icons"
sed "s|@PREFIX@|$root|g" "$here/dermstation.desktop" > "$apps/dermstation.desktop"
cp "$root/resources/ui/icons/app.svg" "$icons/dermstation.svg"
command -v update-desktop-database >/dev/null && update-desktop-database "$apps" || true
echo "DermStation is in your applications menu (or run $root/.venv/bin/dermstation)."

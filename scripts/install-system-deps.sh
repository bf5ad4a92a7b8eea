#!/usr/bin/env bash
# Debian packages the labs need (apt.txt, the repo2docker convention): the browser the RPA robots drive (with the
# fonts and GL drivers it only recommends, listed since we install without recommends),
# poppler for PDF checks, fonts that show Japanese and Ukrainian, the desktop in the browser (TigerVNC, Xfce) with
# LibreOffice Calc in uk/ja. Installs only what is missing, without "recommended" extras (as repo2docker does: with
# them the desktop alone would pull ~450 packages, sound and video stacks included).
# Usage: install-system-deps.sh [--required]   (without --required a failure is only a warning)
set -u
required=0; [ "${1:-}" = "--required" ] && required=1
here="$(cd "$(dirname "$0")/.." && pwd)"
missing=()
while read -r pkg; do
  [ -z "$pkg" ] && continue
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done < <(grep -v '^\s*#' "$here/apt.txt")
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else sudo="none"; fi
if [ "$sudo" != "none" ] && command -v apt-get >/dev/null; then
  $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null && exit 0
fi
echo "Could not install: ${missing[*]}. Please install them with your system's package manager." >&2
echo "(The browser is needed only for the RPA lab, the desktop only for the spreadsheet lab; everything else works without them.)" >&2
exit $required

#!/usr/bin/env bash
# Debian packages the labs need (apt.txt, the repo2docker convention): the browser the RPA robots drive,
# poppler for PDF checks, fonts that show Japanese and Ukrainian. Installs only what is missing.
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
  $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}" >/dev/null && exit 0
fi
echo "Could not install: ${missing[*]}. Please install them with your system's package manager." >&2
echo "(The browser is needed only for the RPA lab; everything else works without it.)" >&2
exit $required

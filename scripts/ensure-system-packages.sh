#!/usr/bin/env bash
# Installs the Debian packages the tests and the service use, only those missing; prints what it
# did. Without root or apt it prints the exact install command and exits non-zero.
set -euo pipefail

# One package per line (helpers add theirs on their own line).
PACKAGES=(
  poppler-utils # pdftotext: the slip tests read the PDFs' text
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    echo "ensure-system-packages: $pkg already installed"
  else
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system-packages: missing ${missing[*]}; install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "ensure-system-packages: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "ensure-system-packages: installed ${missing[*]}"

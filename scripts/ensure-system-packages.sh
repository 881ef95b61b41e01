#!/usr/bin/env bash
# Installs the system packages the test suite needs, and only those that are missing (Debian/
# Ubuntu, apt-get). Idempotent: prints what it found and what it did. Not root or no apt-get:
# prints the exact command to run and exits non-zero.
#
# One package per line below (several helpers add theirs: keep each edit to one line).
set -euo pipefail

PACKAGES=(
  clamav-daemon     # clamd: virus scanning of uploads (test/clamd-for-tests.ts starts one)
  clamav-testfiles  # /usr/share/clamav-testfiles: samples the scanning tests must detect
  poppler-utils     # pdftotext: the slip tests read the PDFs' text
  chromium          # the browser tests (test/browser) drive Debian's Chromium with playwright-core
  pgbouncer         # test/integration/two-instances.test.ts runs two instances through PgBouncer in transaction mode
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    echo "ensure-system-packages: $pkg is installed"
  else
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "ensure-system-packages: nothing to install"
  exit 0
fi

command_line="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system-packages: missing ${missing[*]}, and there is no apt-get here. Install the equivalent packages, on Debian/Ubuntu:" >&2
  echo "  $command_line" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-system-packages: missing ${missing[*]}; run as root:" >&2
  echo "  sudo sh -c '$command_line'" >&2
  exit 1
fi

echo "ensure-system-packages: installing ${missing[*]}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
# The Debian package may start its own clamd, which has no signatures here (no freshclam) and is
# not what the tests use: they start their own with test/fixtures/clamav.
echo "ensure-system-packages: installed ${missing[*]}"

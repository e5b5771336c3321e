#!/usr/bin/env bash
# Prints the Debian mirror apt uses here for bookworm main (one-line or deb822 sources).
set -euo pipefail
shopt -s nullglob
sources=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
mirror=$(
  cat "${sources[@]}" 2>/dev/null \
    | awk '
        /^deb[ \t]/ && $0 ~ /[ \t]bookworm[ \t]/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }
        /^URIs:/ { uri = $2 }
        /^Suites:/ && uri != "" { for (i = 2; i <= NF; i++) if ($i == "bookworm") { print uri; exit } }
        /^$/ { uri = "" }
      ' || true
)
if [ -z "$mirror" ]; then
  echo "no bookworm mirror in /etc/apt/sources.list*" >&2
  exit 1
fi
echo "$mirror"

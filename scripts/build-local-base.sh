#!/usr/bin/env bash
# Builds the offline stand-in for the Dockerfile's python:3.11-slim-bookworm base, when missing:
# debootstrap (minbase) from this machine's Debian mirror plus python3, python3-venv, python3-pip
# and python-is-python3, committed as $LOCAL_BASE_IMAGE. Cached twice: the image in the container
# storage, and the root filesystem tarball under build/local-base/ (survives a storage reset).
set -euo pipefail
. "$(dirname "$0")/buildah.sh"

if buildah inspect --type image "$LOCAL_BASE_IMAGE" >/dev/null 2>&1; then
  echo "$LOCAL_BASE_IMAGE"
  exit 0
fi

cache=build/local-base
tarball=$cache/rootfs.tar
mkdir -p "$cache"
if [ ! -f "$tarball" ]; then
  mirror=$(bash scripts/debian-mirror.sh)
  root=$(mktemp -d "$cache/rootfs.XXXXXX")
  echo "debootstrap bookworm from $mirror" >&2
  debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,python-is-python3 \
    bookworm "$root" "$mirror" >&2
  # What a slim image leaves out too: package lists, caches, logs, manuals, translations and docs
  # (the copyright files stay).
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/debootstrap \
    "$root"/usr/share/man "$root"/usr/share/info "$root"/usr/share/locale
  find "$root"/usr/share/doc -type f ! -name copyright -delete
  tar -C "$root" --numeric-owner -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
  rm -rf "$root"
fi

container=$(buildah from scratch)
trap 'buildah rm "$container" >/dev/null 2>&1 || true' EXIT
tar -C "$(buildah mount "$container")" --numeric-owner -xpf "$tarball"
buildah config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env LANG=C.UTF-8 \
  --cmd python3 \
  "$container"
buildah commit --quiet "$container" "$LOCAL_BASE_IMAGE" >/dev/null
echo "$LOCAL_BASE_IMAGE"

#!/usr/bin/env bash
# Builds app/Dockerfile with buildah, unchanged, and writes build/image/:
#   image-ref       the image's name:tag in the container storage
#   sbom.cdx.json   CycloneDX SBOM of the Python packages installed in the image
# Without arguments the base is the Dockerfile's pinned python:3.11-slim-bookworm from the
# registry (production). --local-base builds on Debian's python3 instead ($LOCAL_BASE_IMAGE from
# scripts/build-local-base.sh): offline machines and the tests; that image gets a "-local-base"
# tag suffix so it is never mistaken for a release.
# PYTHON: the interpreter with pip's config and cyclonedx-bom (default .venv/bin/python).
set -euo pipefail
. "$(dirname "$0")/buildah.sh"
python=${PYTHON:-.venv/bin/python}

version=$(bash scripts/app-version.sh)
build_arguments=()
base="pinned in app/Dockerfile"
tag=$version
if [ "${1:-}" = "--local-base" ]; then
  base=$(bash scripts/build-local-base.sh)
  build_arguments+=(--build-arg "PYTHON_IMAGE=$base")
  base="$base $(buildah inspect --type image --format '{{.FromImageID}}' "$base")"
  tag=$version-local-base
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--local-base]" >&2
  exit 2
fi
image=localhost/ticketing:$tag

out=build/image
mkdir -p "$out"

# Unchanged inputs (what .dockerignore lets into the context, and the base) reuse the image: a
# warm run costs seconds. The label carries their digest. (No --layers: on vfs every cached
# layer is a full copy of the root filesystem, slower than rebuilding.)
inputs=$(
  {
    echo "$base"
    cd app
    find Dockerfile .dockerignore pyproject.toml ticketing -type f \
      ! -path '*/__pycache__/*' ! -name '*.py[cod]' ! -path '*.egg-info*' -print0 \
      | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -d' ' -f1
)
label=org.ticketing.build-inputs
if [ -f "$out/sbom.cdx.json" ] && [ "$(cat "$out/image-ref" 2>/dev/null)" = "$image" ] \
  && [ "$(buildah inspect --type image --format "{{index .OCIv1.Config.Labels \"$label\"}}" "$image" 2>/dev/null)" = "$inputs" ]; then
  echo "$image"
  exit 0
fi
secrets=$(mktemp -d)  # the index settings for the build, and the SBOM input
container=""
cleanup() {
  rm -rf "$secrets"
  [ -z "$container" ] || buildah rm "$container" >/dev/null
}
trap cleanup EXIT
mkdir "$secrets/pip"
"$python" scripts/pip_build_config.py "$secrets/pip"

buildah bud \
  --pull=false \
  --label "$label=$inputs" \
  "${build_arguments[@]}" \
  --volume "$secrets/pip:/etc/xdg/pip:ro" \
  --tag "$image" \
  app >&2
echo "$image" >"$out/image-ref"

# The SBOM lists what pip reports installed in the image's venv, read from the image itself.
container=$(buildah from --pull=false "$image")
buildah run "$container" -- pip list --format=freeze >"$secrets/installed.txt"
"$python" -m cyclonedx_py requirements \
  --pyproject app/pyproject.toml \
  --output-format JSON \
  --output-file "$out/sbom.cdx.json" \
  "$secrets/installed.txt"
echo "$image"

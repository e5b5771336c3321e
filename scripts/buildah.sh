# Sourced by the image scripts: runs from the repository root with the settings of
# scripts/buildah.env, and `buildah` always on that storage driver.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
set -a
. scripts/buildah.env
set +a
buildah() {
  command buildah --storage-driver "$STORAGE_DRIVER" "$@"
}

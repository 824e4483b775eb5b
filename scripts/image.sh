#!/bin/sh
# Builds Dockerfile.scratch into the local image fc-runtime:latest and the OCI archive
# dist/fc-runtime-image.tar. Uses docker when its engine answers, else buildah (installed
# from Debian when missing).
set -eu
cd "$(dirname "$0")/.."
tag=fc-runtime:latest
archive=dist/fc-runtime-image.tar
mkdir -p dist
rm -f "$archive"
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    echo "image: building with docker"
    docker build -f Dockerfile.scratch -t "$tag" .
    docker save -o "$archive" "$tag"
else
    echo "image: no docker engine; building with buildah"
    sh scripts/need.sh buildah:buildah
    buildah bud --quiet --format oci -f Dockerfile.scratch -t "$tag" . >/dev/null
    buildah push --quiet "$tag" "oci-archive:$archive:$tag"
fi
echo "image: $tag, archive $archive ($(wc -c < "$archive") bytes)"

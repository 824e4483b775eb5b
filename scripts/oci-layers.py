#!/usr/bin/env python3
"""Prints the compressed size of each layer of an OCI (or docker-save) archive and checks
the total against a budget. Usage: oci-layers.py ARCHIVE MAX_BYTES"""
import json
import sys
import tarfile

def main():
    path, budget = sys.argv[1], int(sys.argv[2])
    with tarfile.open(path) as t:
        index = json.load(t.extractfile("index.json"))
        digest = index["manifests"][0]["digest"].split(":", 1)[1]
        manifest = json.load(t.extractfile(f"blobs/sha256/{digest}"))
        if "layers" not in manifest:  # an index pointing at the manifest
            digest = manifest["manifests"][0]["digest"].split(":", 1)[1]
            manifest = json.load(t.extractfile(f"blobs/sha256/{digest}"))
    sizes = [(l["mediaType"], l["size"]) for l in manifest["layers"]]
    total = sum(s for _, s in sizes)
    for media, size in sizes:
        print(f"oci-layers: layer {size} bytes ({size // 1024} KiB) {media}")
    if total > budget:
        sys.exit(f"oci-layers: FAIL layers total {total} bytes, budget {budget}")
    print(f"oci-layers: ok: {total} bytes ({total // 1024} KiB), budget {budget // 1024} KiB")

if __name__ == "__main__":
    main()

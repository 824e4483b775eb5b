#!/usr/bin/env python3
"""Writes a Function Compute custom-runtime zip: bootstrap (and optionally more files, or a
whole app directory) with fixed timestamps, deflated. Named files get mode 0755 whatever
the host's umask; files from a directory keep their run bit (0755 or 0644), and symbolic
links stay links (node_modules/.bin).

Usage: mkzip.py OUT.zip NAME=PATH [NAME=PATH ...] [DIR/ ...]
A DIR/ argument (trailing slash) adds the directory's contents at the zip's root.
"""
import os
import stat
import sys
import zipfile


def entry(z, name, data, mode):
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.create_system = 3  # Unix, so unzip honours the mode bits
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data, compresslevel=9)


def add_tree(z, root, taken):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames) + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, f)
            name = os.path.relpath(path, root)
            if name in taken:
                continue
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                entry(z, name, os.readlink(path), 0o120777)
            elif stat.S_ISREG(st.st_mode):
                mode = 0o100755 if st.st_mode & 0o111 else 0o100644
                with open(path, "rb") as fh:
                    entry(z, name, fh.read(), mode)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = sys.argv[1]
    specs = sys.argv[2:]
    named = [s for s in specs if "=" in s]
    taken = {s.partition("=")[0] for s in named}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for spec in named:
            name, _, path = spec.partition("=")
            with open(path, "rb") as f:
                entry(z, name, f.read(), 0o100755)
        for spec in specs:
            if "=" not in spec:
                if not os.path.isdir(spec):
                    sys.exit(f"mkzip: {spec} is not a directory")
                add_tree(z, spec, taken)
    print(f"mkzip: wrote {out}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes a Function Compute custom-runtime zip: bootstrap (and optionally more files) with
mode 0755 whatever the host's umask, fixed timestamps, deflated.

Usage: mkzip.py OUT.zip NAME=PATH [NAME=PATH ...]
"""
import sys
import zipfile

def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = sys.argv[1]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for spec in sys.argv[2:]:
            name, _, path = spec.partition("=")
            with open(path, "rb") as f:
                data = f.read()
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 3  # Unix, so unzip honours the mode bits
            info.external_attr = (0o100755 << 16)  # regular file, rwxr-xr-x
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data, compresslevel=9)
    print(f"mkzip: wrote {out}")

if __name__ == "__main__":
    main()

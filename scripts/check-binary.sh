#!/bin/sh
# Checks that the release binary is static (no interpreter, no shared libraries) and within
# its size budget. Usage: check-binary.sh BINARY MAX_BYTES
set -eu
bin=$1
max=$2
[ -x "$bin" ] || { echo "check-binary: $bin missing or not executable" >&2; exit 1; }
if readelf -l "$bin" | grep -q 'INTERP'; then
    echo "check-binary: FAIL $bin asks for a dynamic loader (PT_INTERP)" >&2
    exit 1
fi
if readelf -d "$bin" 2>/dev/null | grep -q '(NEEDED)'; then
    echo "check-binary: FAIL $bin needs shared libraries:" >&2
    readelf -d "$bin" | grep '(NEEDED)' >&2
    exit 1
fi
size=$(wc -c < "$bin")
if [ "$size" -gt "$max" ]; then
    echo "check-binary: FAIL $bin is $size bytes, budget $max" >&2
    exit 1
fi
echo "check-binary: ok: $bin is static, $size bytes ($((size / 1024)) KiB, budget $((max / 1024)) KiB)"

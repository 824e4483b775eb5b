#!/bin/sh
# Proves what ships by running it: both custom-runtime zips the way FC runs /code/bootstrap,
# and the OCI image as a container. Checks size budgets and clean SIGTERM exits.
# Usage: package-test.sh BINARY   (the image must exist: `make image`)
set -eu
cd "$(dirname "$0")/.."
BIN=$1
MAX_BYTES=409600 # 400 KiB for the zip and for the image layer (gzipped)
ARCHIVE=dist/fc-runtime-image.tar

sh scripts/need.sh curl:curl unzip:unzip
pid=""
cid=""
# On any exit, stop what this script started (by PID; a wrapper's child by parent PID).
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        pkill -KILL -P "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    fi
    if [ -n "$cid" ]; then
        podman rm -f "$cid" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
fail() { echo "package-test: FAIL $*" >&2; exit 1; }
say() { echo "package-test: $*"; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (bounded, 10 s) until something accepts on the port.
wait_port() {
    python3 - "$1" <<'PY' || fail "nothing listened on port $1 within 10 s"
import socket, sys, time
end = time.time() + 10
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.01)
sys.exit(1)
PY
}

# Sends an event invocation and an HTTP passthrough request; checks both answers.
check_calls() {
    port=$1
    tag=$2
    out=$(curl -s --max-time 5 -X POST "http://127.0.0.1:$port/invoke" \
        -H 'x-fc-control-path: /invoke' -H "x-fc-request-id: $tag" --data-binary "$tag")
    [ "$out" = "Hello, $tag" ] || fail "$tag: invoke answered '$out'"
    out=$(curl -s --max-time 5 "http://127.0.0.1:$port/pkg/check?via=$tag" -H 'x-fc-control-path: /http-invoke')
    case "$out" in
        *'"path":"/pkg/check"'*'"query":"via='"$tag"'"'*) ;;
        *) fail "$tag: passthrough answered '$out'" ;;
    esac
    say "$tag: /invoke and passthrough answered correctly"
}

# Sends SIGTERM to a process started by this script and checks a prompt exit 0.
term_and_wait() {
    pid=$1
    tag=$2
    start=$(date +%s%N)
    kill -TERM "$pid"
    rc=0
    wait "$pid" || rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    pid=""
    [ "$rc" -eq 0 ] || fail "$tag: exit code $rc after SIGTERM"
    [ "$ms" -lt 5000 ] || fail "$tag: took $ms ms to stop"
    say "$tag: SIGTERM -> exit 0 in $ms ms"
}

# --- zips: the binary as bootstrap, and the wrapper script + binary -----------------------
for variant in binary wrapper; do
    tmp=$(mktemp -d)
    if [ "$variant" = binary ]; then
        python3 scripts/mkzip.py "$tmp/fn.zip" "bootstrap=$BIN" >/dev/null
    else
        python3 scripts/mkzip.py "$tmp/fn.zip" bootstrap=bootstrap "fc-runtime=$BIN" >/dev/null
    fi
    size=$(wc -c < "$tmp/fn.zip")
    [ "$size" -le "$MAX_BYTES" ] || fail "zip ($variant) is $size bytes, budget $MAX_BYTES"
    say "zip ($variant): $size bytes ($((size / 1024)) KiB, budget $((MAX_BYTES / 1024)) KiB)"
    mkdir "$tmp/code"
    unzip -q "$tmp/fn.zip" -d "$tmp/code"
    [ -x "$tmp/code/bootstrap" ] || fail "zip ($variant): bootstrap lost its run bit"
    port=$(free_port)
    # As FC does: absolute path, another working directory, port from the environment.
    (cd / && FC_CUSTOM_LISTEN_PORT=$port exec "$tmp/code/bootstrap" >"$tmp/out.log" 2>&1) &
    pid=$!
    wait_port "$port"
    exe=$(readlink "/proc/$pid/exe")
    if [ "$variant" = wrapper ]; then
        case "$exe" in */fc-runtime) ;; *) fail "wrapper did not exec the binary (process is $exe)" ;; esac
    fi
    check_calls "$port" "zip-$variant"
    term_and_wait "$pid" "zip-$variant"
    grep -q 'FC Invoke Start RequestId: zip-' "$tmp/out.log" || fail "zip ($variant): no marker lines"
    rm -rf "$tmp"
done

# --- exec mode: an app's zip with fc-runtime as bootstrap (make zip APP=DIR) ---------------
# Answers of the seed peers: "Hello, <body>" for every request.
check_app() {
    port=$1
    tag=$2
    out=$(curl -s --max-time 5 -X POST "http://127.0.0.1:$port/invoke" \
        -H 'x-fc-control-path: /invoke' -H "x-fc-request-id: $tag" --data-binary "$tag")
    [ "$out" = "Hello, $tag" ] || fail "$tag: invoke answered '$out'"
    out=$(curl -s --max-time 5 -X PUT "http://127.0.0.1:$port/any/path" \
        -H 'x-fc-control-path: /http-invoke' --data-binary "body-$tag")
    [ "$out" = "Hello, body-$tag" ] || fail "$tag: passthrough answered '$out'"
    say "$tag: /invoke and passthrough reached the app"
}

tmp=$(mktemp -d)
python3 scripts/mkzip.py "$tmp/app.zip" "bootstrap=$BIN" bench/peers/node/ >/dev/null
mkdir "$tmp/code"
unzip -q "$tmp/app.zip" -d "$tmp/code"
[ -x "$tmp/code/bootstrap" ] && [ -f "$tmp/code/server.js" ] || fail "zip (app): contents"
port=$(free_port)
app_port=$(free_port)
# FC runs /code/bootstrap in /code; the command comes from the function's environment.
(cd "$tmp/code" && FC_CUSTOM_LISTEN_PORT=$port FCRT_APP_PORT=$app_port \
    FCRT_EXEC="node server.js" exec "$tmp/code/bootstrap" >"$tmp/out.log" 2>&1) &
pid=$!
wait_port "$port"
check_app "$port" zip-app
term_and_wait "$pid" zip-app
grep -q 'FC Invoke Start RequestId: zip-app' "$tmp/out.log" || fail "zip (app): no marker lines"
rm -rf "$tmp"

# --- image ---------------------------------------------------------------------------------
[ -f "$ARCHIVE" ] || fail "$ARCHIVE missing: run make image"
python3 scripts/oci-layers.py "$ARCHIVE" "$MAX_BYTES"

sh scripts/need.sh podman:podman runc:runc
export CONTAINERS_CONF="$PWD/scripts/containers.conf"
loaded=$(podman load -q -i "$ARCHIVE" 2>&1) || fail "podman load rejected $ARCHIVE: $loaded"
say "podman load: $loaded"
port=$(free_port)
if cid=$(podman run -d --network host fc-runtime:latest --port "$port" 2>"${TMPDIR:-/tmp}/fcrt-podman.err"); then
    wait_port "$port"
    check_calls "$port" image-podman
    start=$(date +%s%N)
    podman stop -t 10 "$cid" >/dev/null
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    code=$(podman inspect -f '{{.State.ExitCode}}' "$cid")
    podman rm "$cid" >/dev/null
    cid=""
    [ "$code" = 0 ] || fail "image: exit code $code after podman stop"
    [ "$ms" -lt 5000 ] || fail "image: podman stop took $ms ms (SIGTERM ignored?)"
    say "image-podman: podman stop -> exit 0 in $ms ms"
    # Exec mode as a container: the static Go peer behind fc-runtime (deploy/Dockerfile.app-go).
    ctx=$(mktemp -d)
    cp "$BIN" "$ctx/fc-runtime"
    cp bench/build/go-peer "$ctx/app" || fail "bench/build/go-peer missing: run make peers"
    buildah bud --quiet --format oci -f deploy/Dockerfile.app-go -t fc-runtime-app-go:latest "$ctx" >/dev/null \
        || fail "buildah could not build deploy/Dockerfile.app-go"
    rm -rf "$ctx"
    port=$(free_port)
    app_port=$(free_port)
    cid=$(podman run -d --network host -e FC_CUSTOM_LISTEN_PORT="$port" -e FCRT_APP_PORT="$app_port" \
        fc-runtime-app-go:latest) || fail "podman run fc-runtime-app-go"
    wait_port "$port"
    check_app "$port" image-app-go
    podman stop -t 10 "$cid" >/dev/null
    code=$(podman inspect -f '{{.State.ExitCode}}' "$cid")
    podman rm "$cid" >/dev/null
    cid=""
    [ "$code" = 0 ] || fail "image (app): exit code $code after podman stop"
    say "image-app-go: podman stop -> exit 0"
else
    say "SKIP podman run on this machine: $(tr '\n' ' ' < "${TMPDIR:-/tmp}/fcrt-podman.err")"
    say "running the image's root filesystem under chroot instead"
    root=$(mktemp -d)
    python3 - "$ARCHIVE" "$root" <<'PY'
import json, sys, tarfile, io
archive, root = sys.argv[1], sys.argv[2]
with tarfile.open(archive) as t:
    index = json.load(t.extractfile("index.json"))
    d = index["manifests"][0]["digest"].split(":", 1)[1]
    m = json.load(t.extractfile(f"blobs/sha256/{d}"))
    for layer in m["layers"]:
        blob = t.extractfile("blobs/sha256/" + layer["digest"].split(":", 1)[1]).read()
        with tarfile.open(fileobj=io.BytesIO(blob)) as lt:
            lt.extractall(root)
PY
    port=$(free_port)
    chroot "$root" /fc-runtime --port "$port" >/dev/null 2>&1 &
    pid=$!
    wait_port "$port"
    check_calls "$port" image-chroot
    term_and_wait "$pid" image-chroot
    rm -rf "$root"
fi
say "ok"

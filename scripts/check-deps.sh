#!/bin/sh
# The dependencies are chosen: the default build has exactly httparse, log and env_logger;
# the `events` feature (which implies `json`) adds exactly serde and serde_json.
set -eu
direct() {
    cargo tree -e normal --depth 1 --prefix none "$@" | tail -n +2 | cut -d' ' -f1 | sort -u | tr '\n' ' '
}
want_default="env_logger httparse log "
want_events="env_logger httparse log serde serde_json "
got_default=$(direct)
got_events=$(direct --features events)
[ "$got_default" = "$want_default" ] || { echo "check-deps: FAIL default build depends on: $got_default(want: $want_default)" >&2; exit 1; }
[ "$got_events" = "$want_events" ] || { echo "check-deps: FAIL --features events depends on: $got_events(want: $want_events)" >&2; exit 1; }
echo "check-deps: ok: default: $got_default; events: $got_events"

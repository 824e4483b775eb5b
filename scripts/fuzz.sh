#!/bin/sh
# make fuzz: runs each cargo-fuzz target for FUZZ_TIME seconds (default 60) from the seed
# corpora, prints executions and crashes per target, and fails on any crash. Longer runs:
#   make fuzz FUZZ_TIME=1800            # half an hour per target
#   make fuzz FUZZ_TARGETS=conn FUZZ_TIME=3600
# The corpus grows in fuzz/corpus/<target> (kept between runs, not committed); a crash
# leaves its input in fuzz/artifacts/<target>/ — turn it into a unit-test vector and keep
# the input in fuzz/regressions/<target>/, which every run replays first.
# No sanitizer (-s none): the fuzzed code is safe Rust, and it runs ~3x faster; debug
# assertions and overflow checks stay on (cargo fuzz's default).
set -eu
cd "$(dirname "$0")/../fuzz"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
python3 seeds.py
time_each=${FUZZ_TIME:-60}
targets=${FUZZ_TARGETS:-head chunked conn}
# cargo fuzz needs nightly flags; the stable toolchain accepts them with RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1
cargo fuzz build -s none
status=0
summary=""
for t in $targets; do
    mkdir -p "corpus/$t" "regressions/$t"
    log=$(mktemp)
    if cargo fuzz run -s none "$t" "corpus/$t" "seeds/$t" "regressions/$t" -- \
        -max_total_time="$time_each" -print_final_stats=1 >"$log" 2>&1; then
        crashes=0
    else
        crashes=$(ls "artifacts/$t" 2>/dev/null | wc -l)
        [ "$crashes" -gt 0 ] || crashes="1 (see log)"
        status=1
        grep -A6 -m1 'panicked at' "$log" || true
        grep -A2 'Failing input' "$log" || tail -20 "$log"
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(ls "corpus/$t" | wc -l)
    line="fuzz: $t: ${execs:-?} execs in ${time_each} s (${rate:-?}/s), corpus $corpus, crashes $crashes"
    echo "$line"
    summary="$summary$line
"
    rm -f "$log"
done
printf '%s' "$summary"
exit $status

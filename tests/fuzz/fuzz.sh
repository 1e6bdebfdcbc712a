#!/bin/sh
# fuzz.sh: the libFuzzer targets of fuzz/ (built by fuzz/fuzz.mk).
#   sh tests/fuzz/fuzz.sh       (make test) the seed corpora are made by build/fuzz/make-seeds
#                               from the project's own writers; every kept crash input under
#                               tests/fuzz/TARGET/ is replayed; then each target runs a fixed
#                               number of executions (-seed=1, so the run is the same each time).
#   sh tests/fuzz/fuzz.sh --hunt S (make fuzz FUZZ_SECONDS=S) each target in turn for S seconds on
#                               its growing corpus build/fuzz/corpus/TARGET; crashes are written
#                               to build/fuzz/crashes/ (keep them under tests/fuzz/TARGET/).
#                               Prints "fuzz-TARGET: N execs, cov C, ft F" a target;
#                               FUZZ_ONLY="midi" hunts with one target.
. "$(dirname "$0")/../lib.sh"
FZ=$BUILD/fuzz
RUNS=${FUZZ_RUNS:-4000}
SEEDS=$FZ/seeds
rm -rf "$SEEDS"
if ! "$FZ/make-seeds" "$SEEDS" "$ROOT/presets/seed.mid"; then
    fail "make-seeds wrote the seed corpora"; summary; exit 1
fi
max_len() { case $1 in model) echo 8192 ;; *) echo 4096 ;; esac; }

if [ "${1:-}" = --hunt ]; then
    secs=${2:-60}
    mkdir -p "$FZ/crashes"
    for t in ${FUZZ_ONLY:-midi model tokens}; do
        mkdir -p "$FZ/corpus/$t"
        cp "$SEEDS/$t"/* "$FZ/corpus/$t"/
        log=$FZ/hunt-$t.log
        "$FZ/fuzz-$t" -max_total_time="$secs" -max_len="$(max_len $t)" -print_final_stats=1 -timeout=10 \
            -artifact_prefix="$FZ/crashes/$t-" "$FZ/corpus/$t" "$ROOT/tests/fuzz/$t" >"$log" 2>&1
        rc=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        cov=$(grep -E '^#[0-9]+' "$log" | grep -o 'cov: [0-9]*' | tail -n 1 | cut -d' ' -f2)
        ft=$(grep -E '^#[0-9]+' "$log" | grep -o 'ft: [0-9]*' | tail -n 1 | cut -d' ' -f2)
        echo "fuzz-$t: ${execs:-?} execs in ${secs} s, cov ${cov:-?}, ft ${ft:-?}, corpus $(ls "$FZ/corpus/$t" | wc -l) files"
        check "fuzz-$t ran $secs s without a crash (log $log)" [ $rc -eq 0 ]
    done
    summary; exit
fi

for t in midi model tokens; do
    bin=$FZ/fuzz-$t
    if [ ! -x "$bin" ]; then fail "fuzz-$t is built"; continue; fi
    kept=$(ls "$ROOT/tests/fuzz/$t" 2>/dev/null | wc -l)
    if [ "$kept" -gt 0 ]; then
        "$bin" "$ROOT/tests/fuzz/$t"/* >"$FZ/replay-$t.log" 2>&1
        check "fuzz-$t: the $kept kept crash inputs of tests/fuzz/$t run clean" [ $? -eq 0 ]
    fi
    work=$(mktemp -d /tmp/cn_fuzz.XXXXXX)
    cp "$SEEDS/$t"/* "$work"/
    "$bin" -runs="$RUNS" -seed=1 -max_len="$(max_len $t)" -timeout=20 -artifact_prefix="$work/" "$work" \
        >"$FZ/short-$t.log" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        tail -n 30 "$FZ/short-$t.log"
        mkdir -p "$FZ/crashes"
        for c in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
            [ -e "$c" ] && cp "$c" "$FZ/crashes/$t-${c##*/}" && echo "  found: $FZ/crashes/$t-${c##*/} (keep it under tests/fuzz/$t/)"
        done
    fi
    check "fuzz-$t: $RUNS executions from the seed corpus without a crash" [ $rc -eq 0 ]
    rm -rf "$work"
done
summary

#!/bin/sh
# Runs every test program and script given, each of which prints its own
# "N passed, N failed" line, and sums them. A program that crashes or prints no
# summary counts as one failure. The last line is the total: "N passed, N failed".
#
# Each test is bounded, so one that hangs cannot eat CI's time and lose the summary (a CI
# run once ended at its 90-minute limit inside one test, with no total printed):
#   CONTINUO_TEST_TIMEOUT  seconds one test may take (600); then it is stopped and fails
#   CONTINUO_TEST_BUDGET   seconds the whole suite may take (1800); tests left then fail, not run
# timeout(1) runs the test in its own process group and signals the whole group, so the JACK
# servers and clients a script started go with it. Each line says how long its test took.
EACH=${CONTINUO_TEST_TIMEOUT:-600}
BUDGET=${CONTINUO_TEST_BUDGET:-1800}
P=0; F=0
start=$(date +%s)
for t in "$@"; do
    t0=$(date +%s)
    left=$((BUDGET - (t0 - start)))
    if [ "$left" -le 0 ]; then
        echo "FAIL $t: not run, the suite's budget of $BUDGET s is spent (CONTINUO_TEST_BUDGET)"
        F=$((F + 1)); continue
    fi
    limit=$EACH; [ "$left" -lt "$limit" ] && limit=$left
    log=$(mktemp)
    # stdin from /dev/null: no test reads it, and a process waiting on a terminal or an open
    # pipe would wait for ever
    case "$t" in
        *.sh) timeout -k 10 "$limit" sh "$t" >"$log" 2>&1 </dev/null ;;
        *)    timeout -k 10 "$limit" "$t" >"$log" 2>&1 </dev/null ;;
    esac
    rc=$?
    dt=$(($(date +%s) - t0))
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        tail -n 40 "$log"
        echo "FAIL $t: stopped after $limit s without finishing (CONTINUO_TEST_TIMEOUT)"
        F=$((F + 1))
    elif [ -z "$line" ]; then
        cat "$log"
        echo "FAIL $t: exited $rc with no summary line ($dt s)"
        F=$((F + 1))
    else
        p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
        [ "$f" -ne 0 ] && cat "$log"
        echo "$t: $line ($dt s)"
        P=$((P + p)); F=$((F + f))
    fi
    rm -f "$log"
done
echo "$((($(date +%s) - start) / 60)) min in all"
echo "$P passed, $F failed"
[ "$F" -eq 0 ]

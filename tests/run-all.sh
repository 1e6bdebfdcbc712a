#!/bin/sh
# Runs every test program and script given, each of which prints its own
# "N passed, N failed" line, and sums them. A program that crashes or prints no
# summary counts as one failure. The last line is the total: "N passed, N failed".
P=0; F=0
for t in "$@"; do
    log=$(mktemp)
    case "$t" in
        *.sh) sh "$t" >"$log" 2>&1 ;;
        *)    "$t" >"$log" 2>&1 ;;
    esac
    rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        cat "$log"
        echo "FAIL $t: exited $rc with no summary line"
        F=$((F + 1))
    else
        p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
        [ "$f" -ne 0 ] && cat "$log"
        echo "$t: $line"
        P=$((P + p)); F=$((F + f))
    fi
    rm -f "$log"
done
echo "$P passed, $F failed"
[ "$F" -eq 0 ]

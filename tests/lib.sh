# lib.sh: shared helpers for the shell tests (sourced). ok/fail count cases,
# summary prints "N passed, N failed" and sets the exit status. Every test script sits one
# folder below this one (tests/KIND/X.sh) and sources it as "$(dirname "$0")/../lib.sh", so
# the repository's root is two folders above the script.
PASS=0; FAILN=0
ok()   { PASS=$((PASS + 1)); echo "ok   $*"; }
fail() { FAILN=$((FAILN + 1)); echo "FAIL $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else fail "$desc"; fi; }
summary() { echo "$PASS passed, $FAILN failed"; [ "$FAILN" -eq 0 ]; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
SHARED=${CONTINUO_SHARED:-$ROOT/../shared}
# alive PID: the process exists and is not a zombie. stop_pid PID: SIGINT, up to 5 s to exit
# cleanly, then SIGKILL (the JACK tests end every process they start by its own pid).
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat" 2>/dev/null; }   # (it may end between the two)
stop_pid() {   # SIGINT, up to 5 s to exit cleanly, then SIGKILL
    kill -INT "$1" 2>/dev/null || return 0
    n=50
    while alive "$1" && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}
# wait_for TRIES COMMAND...: run COMMAND every 0.1 s, up to TRIES times, until it succeeds (a
# test waits for a condition, never for a time)
wait_for() {
    n=$1; shift
    while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
    return 1
}

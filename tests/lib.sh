# lib.sh: shared helpers for the shell tests (sourced). ok/fail count cases,
# summary prints "N passed, N failed" and sets the exit status.
PASS=0; FAILN=0
ok()   { PASS=$((PASS + 1)); echo "ok   $*"; }
fail() { FAILN=$((FAILN + 1)); echo "FAIL $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else fail "$desc"; fi; }
summary() { echo "$PASS passed, $FAILN failed"; [ "$FAILN" -eq 0 ]; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
SHARED=${CONTINUO_SHARED:-$ROOT/../shared}

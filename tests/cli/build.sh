#!/bin/sh
# build.sh: the build itself as a test: everything compiles warning-free (-Werror) with
# clang too, and `make install` lays out the binaries, the shared data and the LV2 bundle
# for a system install (PREFIX/lib/lv2) and for a user install (~/.lv2), a man page for every
# installed binary, and `make uninstall` removes every file install wrote; without Open MPI
# everything but continuo-train-mpi builds.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT" || exit 1
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

if command -v clang >/dev/null 2>&1; then
    check "clang builds everything (tests included) with -Wall -Wextra -Werror" \
        sh -c 'make --no-print-directory -j2 CC=clang BUILD=build/clang build-all build-tests >"$0/clang.log" 2>&1' "$T"
    [ "$FAILN" -gt 0 ] && tail -30 "$T/clang.log"
else
    fail "clang is not installed (tests/deps.sh installs it)"
fi

# ---- a machine without Open MPI: pkg-config is asked for a package that does not exist, as it
# would be where libopenmpi-dev is missing. Everything else builds, and make says how to get it.
make --no-print-directory -j2 BUILD=build/nompi MPI_PC=continuo-no-such-mpi build-all >"$T/nompi.log" 2>&1
rc=$?
check "without Open MPI everything else builds (exit $rc)" [ "$rc" -eq 0 ]
check "without Open MPI no continuo-train-mpi, but continuo-train, the plugin and the JACK client" \
    sh -c '[ ! -e build/nompi/continuo-train-mpi ] && [ -x build/nompi/continuo-train ] &&
           [ -e build/nompi/continuo.lv2/continuo.so ] && [ -x build/nompi/continuo-jack ]'
check "without Open MPI make says how to get it (libopenmpi-dev)" grep -q 'install libopenmpi-dev' "$T/nompi.log"
[ "$rc" -ne 0 ] && tail -20 "$T/nompi.log"

check "make install (system: PREFIX=/usr/local)" \
    sh -c 'make --no-print-directory install PREFIX=/usr/local DESTDIR="$0/sys" >"$0/inst.log" 2>&1' "$T"
for f in bin/continuo-train bin/continuo-generate bin/continuo-eval bin/continuo-info \
         bin/continuo-tokens bin/continuo-jack bin/continuo-live share/continuo/seed.mid \
         lib/lv2/continuo.lv2/continuo.so lib/lv2/continuo.lv2/manifest.ttl lib/lv2/continuo.lv2/continuo.ttl; do
    check "installed: PREFIX/$f" [ -e "$T/sys/usr/local/$f" ]
done
# a man page: its title with the section and the version, the NAME line, and the options
man_ok() {
    m=$T/sys/usr/local/share/man/man1/$1.1
    up=$(echo "$1" | tr a-z A-Z)
    [ -x "$T/sys/usr/local/bin/$1" ] && grep -q "^\.TH $up \"1\" .*\"continuo [0-9.]*\"" "$m" &&
        grep -qF "$1 \\- " "$m" && grep -qF '\-\-help' "$m"
}
for b in continuo-train continuo-generate continuo-eval continuo-info continuo-tokens continuo-makeseed \
         continuo-jack continuo-live; do
    check "installed: $b and its man page (title, version, name line, options)" man_ok "$b"
done
check "every installed binary has a man page" sh -c "for f in '$T'/sys/usr/local/bin/*; do [ -f '$T'/sys/usr/local/share/man/man1/\$(basename \$f).1 ] || exit 1; done"
if [ -f presets/default.cnm ]; then
    check "installed: the default model in the bundle and in share/" \
        [ -f "$T/sys/usr/local/lib/lv2/continuo.lv2/default.cnm" -a -f "$T/sys/usr/local/share/continuo/default.cnm" ]
fi
check "make install (user: PREFIX under \$HOME puts the bundle in ~/.lv2)" \
    sh -c 'make --no-print-directory install PREFIX="$HOME/.local" DESTDIR="$0/user" >>"$0/inst.log" 2>&1 &&
           [ -f "$0/user$HOME/.lv2/continuo.lv2/continuo.so" ] && [ -x "$0/user$HOME/.local/bin/continuo-generate" ]' "$T"
if command -v lv2_validate >/dev/null 2>&1; then
    check "lv2_validate on the installed bundle: Found 0 errors" \
        sh -c 'lv2_validate "$0"/sys/usr/local/lib/lv2/continuo.lv2/*.ttl 2>&1 | grep -q "Found 0 errors"' "$T"
fi
check "make uninstall removes everything install put there" \
    sh -c 'make --no-print-directory uninstall PREFIX=/usr/local DESTDIR="$0/sys" >>"$0/inst.log" 2>&1 &&
           [ -z "$(find "$0/sys" -type f)" ]' "$T"
check "make uninstall (user install) too" \
    sh -c 'make --no-print-directory uninstall PREFIX="$HOME/.local" DESTDIR="$0/user" >>"$0/inst.log" 2>&1 &&
           [ -z "$(find "$0/user" -type f)" ]' "$T"
# ---- the test runner itself: a test that hangs is stopped (with its own children), fails,
# and the total is still printed; once the suite's budget is spent, the rest fail unrun
cat >"$T/hang.sh" <<'EOF2'
echo "ok   started"; sleep 1000 & echo $! >"$(dirname "$0")/child.pid"; sleep 1000
EOF2
printf 'echo "3 passed, 0 failed"\n' >"$T/good.sh"
CONTINUO_TEST_TIMEOUT=2 sh tests/run-all.sh "$T/good.sh" "$T/hang.sh" "$T/good.sh" >"$T/runner.log" 2>&1
rc=$?
check "run-all: a hanging test fails as stopped, the rest still run, the total is the last line" \
    sh -c '[ "$1" -ne 0 ] && grep -q "^FAIL $0/hang.sh: stopped after 2 s" "$0/runner.log" &&
           [ "$(tail -n 1 "$0/runner.log")" = "6 passed, 1 failed" ]' "$T" "$rc"
check "run-all: the hanging test's own child is stopped with it" \
    sh -c 'p=$(cat "$0/child.pid"); n=50; while [ -d /proc/$p ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done; [ ! -d /proc/$p ]' "$T"
CONTINUO_TEST_TIMEOUT=2 CONTINUO_TEST_BUDGET=1 sh tests/run-all.sh "$T/hang.sh" "$T/good.sh" >"$T/budget.log" 2>&1
check "run-all: once the budget is spent, the tests left fail as not run" \
    sh -c 'grep -q "^FAIL $0/good.sh: not run, the suite" "$0/budget.log" &&
           [ "$(tail -n 1 "$0/budget.log")" = "0 passed, 2 failed" ]' "$T"
# ---- no test silently left out of make test: every shell test in a kind folder (the benches
# are not tests; a helper that tests source, such as hosts/probe_judge.sh, prints no summary)
# is on its list, and none lies loose at the top of tests/
make --no-print-directory -s list-tests >"$T/list" 2>"$T/list.err" || cat "$T/list.err"
missing=""
for f in tests/*/*.sh; do
    grep -q '^summary' "$f" || continue
    case $f in tests/bench/*) ;; *) grep -qxF "$f" "$T/list" || missing="$missing $f" ;; esac
done
check "make test runs every tests/KIND/*.sh but bench/ ($(grep -c '\.sh$' "$T/list") scripts)${missing:+; left out:$missing}" \
    sh -c '[ -s "$0" ] && [ -z "$1" ]' "$T/list" "$missing"
loose=$(cd tests && ls *.sh *.c *.py 2>/dev/null | grep -vxE 'run-all\.sh|lib\.sh|deps\.sh' | tr '\n' ' ' | sed 's/ $//')
check "tests/ holds only run-all.sh, lib.sh and deps.sh at the top${loose:+; loose: $loose}" [ -z "$loose" ]
summary

#!/bin/sh
# cli.sh: one vocabulary across the tools, by running each installed binary: --version and
# --help in every tool; the same message for an unknown option and for a missing value;
# exit status 0 ok, 1 runtime error, 2 usage error everywhere; the retired spellings (--seed,
# --include-seed, --seed-beats) answered with the new name and never read with a new meaning;
# one temperature range; continuo-info's model as -m or as the argument.
. "$(dirname "$0")/../lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
unset CONTINUO_MODEL
TOOLS="continuo-train continuo-generate continuo-eval continuo-info continuo-tokens continuo-makeseed continuo-jack continuo-live"
for t in $TOOLS; do [ -x "$BUILD/$t" ] || { fail "$BUILD/$t is not built"; summary; exit 1; }; done
VERSION=$(sed -n 's/^#define CN_VERSION "\(.*\)"/\1/p' "$ROOT/offline-trainer/cli.h")

# ---- every tool: --version, --help, an unknown option, a missing value ----
for t in $TOOLS; do
    out=$("$BUILD/$t" --version 2>&1); rc=$?
    check "$t --version: '$t (continuo) $VERSION', exit 0" [ "$rc" -eq 0 -a "$out" = "$t (continuo) $VERSION" ]
    "$BUILD/$t" --help >"$T/help" 2>"$T/err"; rc=$?
    check "$t --help: usage on stdout, exit 0" sh -c "[ $rc -eq 0 ] && grep -qi '^usage: $t' '$T/help' && [ ! -s '$T/err' ]"
    "$BUILD/$t" --no-such-option >"$T/out" 2>"$T/err"; rc=$?
    check "$t: an unknown option exits 2 with the shared message" \
        sh -c "[ $rc -eq 2 ] && [ \"\$(cat '$T/err')\" = \"$t: unknown option '--no-such-option' (see $t --help)\" ]"
done
for t in continuo-generate continuo-eval continuo-info continuo-jack continuo-live; do
    "$BUILD/$t" -m >"$T/out" 2>"$T/err"; rc=$?
    check "$t -m (no value): exit 2, the shared message" \
        sh -c "[ $rc -eq 2 ] && [ \"\$(cat '$T/err')\" = \"$t: option '-m' needs a value (see $t --help)\" ]"
done
"$BUILD/continuo-train" --epochs >"$T/out" 2>"$T/err"; rc=$?
check "continuo-train --epochs (no value): exit 2, the shared message" \
    sh -c "[ $rc -eq 2 ] && grep -qx \"continuo-train: option '--epochs' needs a value (see continuo-train --help)\" '$T/err'"

# ---- the primer and the random seed: one name each, old spellings answered ----
"$BUILD/continuo-generate" --seed "$ROOT/presets/seed.mid" -o "$T/x.mid" >"$T/out" 2>"$T/err"; rc=$?
check "generate --seed: exit 2, names --primer, writes nothing" \
    sh -c "[ $rc -eq 2 ] && grep -q -- '--primer' '$T/err' && grep -q -- '--rng' '$T/err' && [ ! -e '$T/x.mid' ]"
"$BUILD/continuo-generate" --primer "$ROOT/presets/seed.mid" --include-seed >"$T/out" 2>"$T/err"; rc=$?
check "generate --include-seed: exit 2, names --include-primer" sh -c "[ $rc -eq 2 ] && grep -q -- '--include-primer' '$T/err'"
for t in continuo-train continuo-jack continuo-live; do
    "$BUILD/$t" --seed 5 >"$T/out" 2>"$T/err"; rc=$?
    check "$t --seed: exit 2, names --rng" sh -c "[ $rc -eq 2 ] && grep -q -- '--seed is retired.*--rng' '$T/err'"
    "$BUILD/$t" --help >"$T/help"
    check "$t --help offers --rng and not --seed" sh -c "grep -q -- '--rng N' '$T/help' && ! grep -q -- '--seed' '$T/help'"
done
"$BUILD/continuo-eval" --seed-beats 4 x.mid >"$T/out" 2>"$T/err"; rc=$?
check "eval --seed-beats: exit 2, names --primer-beats" sh -c "[ $rc -eq 2 ] && grep -q -- '--primer-beats' '$T/err'"
"$BUILD/continuo-generate" --help >"$T/help"
check "generate --help: --primer and --rng" sh -c "grep -q -- '--primer FILE' '$T/help' && grep -q -- '--rng N' '$T/help' && ! grep -q -- '--seed' '$T/help'"

# ---- one temperature range, 0..2, everywhere ----
"$BUILD/continuo-generate" --primer "$ROOT/presets/seed.mid" --temperature 2.5 >"$T/out" 2>"$T/err"; rc=$?
check "generate --temperature 2.5: exit 2, range 0 to 2" sh -c "[ $rc -eq 2 ] && grep -q 'from 0 to 2' '$T/err'"
"$BUILD/continuo-eval" --temperature 2.5 x.mid >"$T/out" 2>"$T/err"; rc=$?
check "eval --temperature 2.5: exit 2, range 0 to 2" sh -c "[ $rc -eq 2 ] && grep -q 'from 0 to 2' '$T/err'"
for t in continuo-jack continuo-live; do
    "$BUILD/$t" --temperature 2.5 >"$T/out" 2>"$T/err"; rc=$?
    check "$t --temperature 2.5: exit 2, range 0 to 2" sh -c "[ $rc -eq 2 ] && grep -q 'from 0 to 2' '$T/err'"
done
"$BUILD/continuo-jack" --random-model lstm:8 --temperature 2 --rng 3 -s no-such-server-$$ >"$T/out" 2>"$T/err"; rc=$?
check "jack --temperature 2 is accepted (then no server: exit 1)" sh -c "[ $rc -eq 1 ] && grep -q 'no-such-server-$$' '$T/err'"

# ---- continuo-info: -m or the argument; --version is not a file ----
MODEL="$ROOT/presets/default.cnm"
if [ -f "$MODEL" ]; then
    "$BUILD/continuo-info" "$MODEL" >"$T/a" 2>&1; ra=$?
    "$BUILD/continuo-info" -m "$MODEL" >"$T/b" 2>&1; rb=$?
    "$BUILD/continuo-info" --model="$MODEL" >"$T/c" 2>&1; rcc=$?
    check "info MODEL, -m MODEL and --model=MODEL print the same" sh -c "[ $ra -eq 0 -a $rb -eq 0 -a $rcc -eq 0 ] && cmp -s '$T/a' '$T/b' && cmp -s '$T/a' '$T/c'"
    "$BUILD/continuo-info" -m "$MODEL" "$MODEL" >"$T/out" 2>"$T/err"; rc=$?
    check "info with two models: exit 2" [ "$rc" -eq 2 ]
fi

# ---- exit codes: 1 for a runtime error (bad model, missing file), 2 for usage ----
printf 'not a model' >"$T/bad.cnm"
for t in continuo-generate continuo-eval continuo-info continuo-jack continuo-live; do
    case $t in
        continuo-generate) set -- --primer "$ROOT/presets/seed.mid" -o "$T/y.mid" ;;
        continuo-eval) set -- "$ROOT/presets/seed.mid" ;;
        continuo-live) set -- --in-file "$ROOT/presets/seed.mid" --out-file "$T/z.mid" ;;
        *) set -- ;;
    esac
    "$BUILD/$t" -m "$T/bad.cnm" "$@" >"$T/out" 2>"$T/err"; rc=$?
    check "$t: a bad model file exits 1 and names it ($rc)" sh -c "[ $rc -eq 1 ] && grep -q 'bad.cnm' '$T/err'"
done
"$BUILD/continuo-generate" --primer "$T/missing.mid" >"$T/out" 2>"$T/err"; rc=$?
check "generate: a missing primer exits 1 and names it" sh -c "[ $rc -eq 1 ] && grep -q 'missing.mid' '$T/err'"
"$BUILD/continuo-tokens" "$T/missing.mid" >"$T/out" 2>"$T/err"; rc=$?
check "tokens: a missing file exits 1" [ "$rc" -eq 1 ]
"$BUILD/continuo-generate" >"$T/out" 2>"$T/err"; rc=$?
check "generate without --primer: exit 2, says what is needed" sh -c "[ $rc -eq 2 ] && grep -q -- '--primer PRIMER.mid is required' '$T/err'"
"$BUILD/continuo-train" -o "$T/m.cnm" >"$T/out" 2>"$T/err"; rc=$?
check "train without a corpus: exit 2" [ "$rc" -eq 2 ]
"$BUILD/continuo-makeseed" extra >"$T/out" 2>"$T/err"; rc=$?
check "makeseed with a stray argument: exit 2" [ "$rc" -eq 2 ]
summary

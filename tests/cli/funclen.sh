#!/bin/sh
# funclen.sh: every C function of the tree (engine, offline tools, plugins, tests, fuzzers) fits on a screen
# (the house rule, issue 15: at most MAX lines from the line its name stands on to its closing
# brace), so that a newcomer reads each one top to bottom. The count is a brace count with
# comments, strings and character constants blanked first; it is checked here on a fixture of
# its own (a brace in a string, a comment or a char, a multi-line signature, a struct, an
# initialiser), so a counter that went wrong would fail rather than pass everything.
# `sh tests/cli/funclen.sh --list [N]` prints every function's length, longest first (the N longest).
. "$(dirname "$0")/../lib.sh"
MAX=80

# Prints "LINES NAME FILE:LINE" for each function definition in the files given.
funclen() {
    awk '
    FNR == 1 { depth = 0; incomment = 0; sig = 0; start = 0; inpp = 0 }
    inpp { inpp = ($0 ~ /\\$/); next }   # a directive continued with a backslash
    {
        line = $0; out = ""; i = 1; n = length(line)
        while (i <= n) {   # blank comments, strings and chars: their braces are not code
            c = substr(line, i, 1); c2 = substr(line, i, 2)
            if (incomment) { if (c2 == "*/") { incomment = 0; i += 2 } else i++; continue }
            if (c2 == "/*") { incomment = 1; i += 2; continue }
            if (c2 == "//") break
            if (c == "\"" || c == "\047") {
                q = c; i++
                while (i <= n && substr(line, i, 1) != q) { if (substr(line, i, 1) == "\\") i++; i++ }
                i++; out = out "_"; continue
            }
            out = out c; i++
        }
        if (out ~ /^[ \t]*#/) { inpp = ($0 ~ /\\$/); next }   # directives, a macro'"'"'s braces with them
        # a function starts on a line at file level, in column 0, with a parenthesis
        if (depth == 0 && !sig && out ~ /^[A-Za-z_]/ && out ~ /\(/) { sig = FNR; head = "" }
        for (j = 1; j <= length(out); j++) {
            c = substr(out, j, 1)
            if (depth == 0 && sig && c != "{") head = head c
            if (c == "{") {
                if (depth == 0) {   # a body, not an initialiser or a struct
                    gsub(/__attribute__[ \t]*\(\([^()]*(\([^()]*\))?[^()]*\)\)/, "", head)
                    pre = head; sub(/\(.*/, "", pre)
                    isfn = sig && head ~ /\)/ && pre !~ /=/ && pre !~ /(^|[ \t])(struct|union|enum|typedef)([ \t]|$)/
                    start = isfn ? sig : 0
                    k = split(pre, w, /[ \t*]+/); name = w[k]
                }
                depth++
            } else if (c == "}") {
                depth--
                if (depth == 0) { if (start) print FNR - start + 1, name, FILENAME ":" start; start = 0; sig = 0 }
            } else if (c == ";" && depth == 0) sig = 0
        }
        if (depth == 0 && sig) head = head " "
    }' "$@"
}

cd "$ROOT" || exit 1
FILES=$(find engine offline-trainer plugin tests fuzz -name '*.[ch]' | sort)
if [ "$1" = "--list" ]; then
    # shellcheck disable=SC2086
    funclen $FILES | sort -k1,1nr -k3 | head -n "${2:-100000}"
    exit 0
fi

T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
{
    echo '/* a fixture: { in a comment */'
    echo 'static const int table[] = { 1, 2 };'
    echo 'typedef struct { int a; } thing;'
    echo 'static int one(void) { return 1; }'
    echo '#define BLOCK(x) do { \'
    echo '        if (x) { (void)0; } } while (0)'
    echo '__attribute__((constructor(101))) static void early(void) {'
    echo '}'
    echo 'static const char *braces(int x,'
    echo '                          int y) {'
    echo '    const char *s = "}}{"; char c = '"'}'"'; /* } */'
    echo '    if (x) { return s; }'
    echo '    return y ? &c : 0;'
    echo '}'
    printf 'int long_one(void) {\n'
    i=0; while [ $i -lt $MAX ]; do echo '    (void)0;'; i=$((i + 1)); done
    echo '}'
} >"$T/fixture.c"
funclen "$T/fixture.c" | sed "s|$T/||" >"$T/got"
printf '1 one fixture.c:4\n2 early fixture.c:7\n6 braces fixture.c:9\n%d long_one fixture.c:15\n' $((MAX + 2)) >"$T/want"
check "the counter measures its fixture (a one-liner, an __attribute__, a multi-line signature, braces in strings, chars, comments and a macro; no struct or initialiser)" \
    cmp -s "$T/got" "$T/want"
[ "$FAILN" -gt 0 ] && { echo "got:"; cat "$T/got"; echo "want:"; cat "$T/want"; }

# shellcheck disable=SC2086
funclen $FILES >"$T/all"
check "the counter finds the functions ($(wc -l <"$T/all") in $(echo "$FILES" | wc -l) files; cn_model_load among them)" \
    grep -q ' cn_model_load engine/' "$T/all"
awk -v max=$MAX '$1 > max' "$T/all" | sort -rn >"$T/long"
check "no function over $MAX lines in engine/, offline-trainer/, plugin/, tests/, fuzz/" [ ! -s "$T/long" ]
[ -s "$T/long" ] && sed 's/^/    /' "$T/long"
summary

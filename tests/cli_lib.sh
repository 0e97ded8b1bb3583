# Helpers of the command-line tests (sourced; not a test itself). Needs $bersim; sets $dir (a
# temporary folder removed on exit) and counts checks in $passed and $failed.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# expect_usage WORD ARGS...: status 2, exactly one line on stderr, containing WORD.
expect_usage() {
    local word=$1; shift
    local err status lines
    err=$("$bersim" "$@" 2>&1 >/dev/null); status=$?
    lines=$(printf '%s\n' "$err" | grep -c .)
    if [ "$status" -ne 2 ] || [ "$lines" -ne 1 ] || [[ $err != *"$word"* ]]; then
        bad "bersim $* -> status $status, $lines lines: $err (expected 2, 1 line naming '$word')"
    else
        ok
    fi
}

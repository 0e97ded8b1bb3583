#!/usr/bin/env bash
# Golden tables: every link of tests/golden/links.txt (modulations x channels x receivers x CSI,
# the fused and the staged paths, stop rules and the early end of a sweep) must give the table
# recorded in tests/golden/NAME.tsv byte for byte, but for the date line. The tables were recorded
# before the engine became a chain of stages; a change that alters any random draw or count of
# any link fails here. Usage: test_golden.sh BERSIM [--record]; BERSIM_LAUNCH (words, e.g.
# "mpirun -np 3") runs each simulation under that launcher (tests/test_mpi_golden.sh).
set -uo pipefail
bersim=$1
record=${2:-}
dir=${BERSIM_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
while IFS='|' read -r name args; do
    name=${name// /}
    [[ -z $name || $name == \#* ]] && continue
    args=${args//@/$dir}
    # The defaults of this test, unless a link sets its own (an option given twice is refused).
    defaults=()
    [[ " $args " == *" --max-bits "* ]] || defaults+=(--max-bits 2e5)
    [[ " $args " == *" --min-errors "* ]] || defaults+=(--min-errors 500)
    # shellcheck disable=SC2086
    ${BERSIM_LAUNCH:-} "$bersim" sim --quiet --threads 2 "${defaults[@]}" $args -o "$tmp/out.tsv" \
        2>"$tmp/err" </dev/null || { echo "FAIL $name: exit $? $(cat "$tmp/err")"; failed=$((failed + 1)); continue; }
    # The command line names this folder, which differs between checkouts; so does a custom
    # modulation's name.
    grep -v -e '^# date: ' -e '^# command: ' -e '^# workers: ' "$tmp/out.tsv" | sed "s|$dir|@|g" >"$tmp/$name.tsv"
    if [[ $record == --record ]]; then
        cp "$tmp/$name.tsv" "$dir/$name.tsv"
    elif ! diff -u "$dir/$name.tsv" "$tmp/$name.tsv" >"$tmp/diff"; then
        echo "FAIL $name: the table differs from the recorded one"
        head -20 "$tmp/diff"
        failed=$((failed + 1))
        continue
    fi
    passed=$((passed + 1))
done <"$dir/links.txt"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

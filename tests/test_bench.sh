#!/usr/bin/env bash
# bersim bench, briefly (--seconds 0.01): the CPU line first, fma_peak first among the figures,
# every figure that --help lists prints one line with a positive number, and GFLOP/s figures
# their fraction of fma_peak. The values are not checked against anything: they are not timed
# tests. $1: the bersim binary.
set -u
bersim=$1
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

out=$("$bersim" bench --seconds 0.01 --threads 2) || fail "bench exit $?"
names=$("$bersim" bench --help | awk '/^figures:/ {on = 1; next} on && NF {print $1}')
[ -n "$names" ] || fail "bench --help lists no figure"
[[ $(printf '%s\n' "$out" | sed -n 1p) == "# cpu: "?* ]] || fail "first line is not '# cpu: MODEL'"
[[ $(printf '%s\n' "$out" | sed -n 2p) == fma_peak$'\t'* ]] || fail "fma_peak is not the first figure"
positive() { awk -v x="$1" 'BEGIN { exit !(x + 0 > 0) }'; }
for name in $names; do
    # the _mpi figures run under mpirun; alone, by name (one rank: the threads' engine)
    from=$out
    [[ $name == *_mpi ]] && from=$("$bersim" bench --only "$name" --seconds 0.01)
    line=$(printf '%s\n' "$from" | awk -F '\t' -v n="$name" '$1 == n')
    value=$(printf '%s\n' "$line" | cut -f 2)
    [ "$(printf '%s\n' "$line" | grep -c .)" -eq 1 ] || fail "$name: not exactly one line"
    positive "$value" || fail "$name: '$value' is not a positive number"
done
frac=$(printf '%s\n' "$out" | awk -F '\t' '$1 == "mlp_wide_train_of_peak" {print $2}')
positive "$frac" || fail "mlp_wide_train_of_peak: '$frac' is not a positive number"
# --only: the CPU line, fma_peak measured for a GFLOP/s figure, then the figure.
only=$("$bersim" bench --only mlp_wide_train --seconds 0.01 | cut -f 1 | tr '\n' ' ')
[[ $only == "# cpu: "*" fma_peak mlp_wide_train mlp_wide_train_of_peak " ]] ||
    fail "--only mlp_wide_train printed: $only"
"$bersim" bench --seconds 0 --only gauss 2>/dev/null && fail "--seconds 0 accepted"
[ "$fails" -eq 0 ] && echo "bench: every figure prints a positive number"
exit $((fails > 0))

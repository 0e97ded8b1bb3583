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
# --only A,B --repeat N: each figure's median, least and largest in that order, then the ratios
# A / B of the same rounds: median between its least and largest, and those within A_min / B_max
# and A_max / B_min (e allows for the 4 digits printed). gauss draws some 10^4 times as many
# samples a second as ofdm_nn decodes frames, so a row holding the other figure's values, or a
# ratio taken the wrong way round, shows whatever the machine's noise.
rep=$("$bersim" bench --only gauss,ofdm_nn --repeat 3 --seconds 0.01) || fail "--repeat exit $?"
want="gauss gauss_min gauss_max ofdm_nn ofdm_nn_min ofdm_nn_max gauss_over_ofdm_nn"
want+=" gauss_over_ofdm_nn_min gauss_over_ofdm_nn_max"
[[ $(printf '%s\n' "$rep" | sed 1d | cut -f 1 | tr '\n' ' ') == "$want " ]] ||
    fail "--repeat printed: $(printf '%s\n' "$rep" | cut -f 1 | tr '\n' ' ')"
val() { printf '%s\n' "$rep" | awk -F '\t' -v n="$1" '$1 == n {print $2}'; }
awk -v a="$(val gauss)" -v a0="$(val gauss_min)" -v a1="$(val gauss_max)" \
    -v b="$(val ofdm_nn)" -v b0="$(val ofdm_nn_min)" -v b1="$(val ofdm_nn_max)" \
    -v r="$(val gauss_over_ofdm_nn)" -v r0="$(val gauss_over_ofdm_nn_min)" \
    -v r1="$(val gauss_over_ofdm_nn_max)" \
    'BEGIN { e = 3e-3; exit !(b0 > 0 && a0 <= a && a <= a1 && b0 <= b && b <= b1 &&
                             r0 <= r && r <= r1 && a0 > 100 * b1 && r0 > 100 &&
                             r0 >= a0 / b1 * (1 - e) && r1 <= a1 / b0 * (1 + e)) }' ||
    fail "--repeat statistics wrong: $(printf '%s\n' "$rep" | tr '\n\t' '  ')"
names() { "$bersim" bench "$@" --seconds 0.01 | cut -f 1 | tr '\n' ' '; }
# fma_peak first, once, wherever it is named or a GFLOP/s figure needs it; A_over_B in the order
# named; --repeat 1 prints the statistics too
flops=$(names --only mlp_wide_train --repeat 2)
[[ $flops == "# cpu: "*" fma_peak fma_peak_min fma_peak_max mlp_wide_train "* &&
    $flops == *" mlp_wide_train_of_peak_max " ]] || fail "--repeat of a GFLOP/s figure: $flops"
peak=$(names --only gauss,fma_peak --repeat 2)
[[ $peak == "# cpu: "*" fma_peak "*" gauss_over_fma_peak gauss_over_fma_peak_min "* ]] ||
    fail "--only gauss,fma_peak --repeat 2: $peak"
once=$(names --only mlp_wide_train,fma_peak)
[[ $once == "# cpu: "*" fma_peak mlp_wide_train mlp_wide_train_of_peak " ]] ||
    fail "--only mlp_wide_train,fma_peak: $once"
one=$(names --only gauss --repeat 1)
[[ $one == "# cpu: "*" gauss gauss_min gauss_max " ]] || fail "--repeat 1: $one"
# bad lists and counts: one line naming what is wrong, status 2
for args in "--repeat 0" "--repeat 1001" "--repeat x" "--only gauss,nope" "--only gauss,gauss" \
    "--only gauss," "--only gauss,bpsk_awgn,qam16_awgn_hard,qam16_maxlog,bpsk_rayleigh,qam16_exact,psk8_maxlog,psk8_exact,custom16_maxlog"; do
    # shellcheck disable=SC2086
    err=$("$bersim" bench $args --seconds 0.01 2>&1 >/dev/null)
    status=$?
    [[ $status -eq 2 && $(printf '%s\n' "$err" | grep -c .) -eq 1 && $err == *"--"* ]] ||
        fail "bench $args: status $status, '$err'"
done
[ "$fails" -eq 0 ] && echo "bench: every figure prints a positive number"
exit $((fails > 0))

#!/usr/bin/env bash
# bersim plot: legends and title from the tables' metadata, theory in its simulated curve's
# colour, zero-error points as upper bounds, learning curves, bad tables (exit 2, one line),
# and scripts/plot.sh as its wrapper. $1: the bersim binary.
set -u
bersim=$1
if ! command -v gnuplot >/dev/null; then
    echo "SKIP: gnuplot is not installed (bash scripts/setup.sh)"
    exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
has() { grep -qF -- "$2" "$1" || fail "'$2' not in $1"; }

cd "$dir"
# Two receivers of one link (the second ends in a point without errors) and its theory.
"$bersim" sim --mod qpsk --channel awgn --ebn0 0:2:12 --max-bits 2e5 --quiet -o maxlog.tsv || fail sim
"$bersim" sim --mod qpsk --channel awgn --rx hard --ebn0 0:2:12 --max-bits 2e5 --quiet -o hard.tsv || fail sim
"$bersim" theory --mod qpsk --channel awgn --ebn0 0:0.5:12 -o theory.tsv || fail theory
grep -q $'\t0\t0.000000e+00\t' maxlog.tsv || fail "maxlog.tsv has no zero-error point to test"
out=$("$bersim" plot maxlog.tsv hard.tsv theory.tsv -o ber.svg) || fail "plot exit $?"
[ "$out" = ber.svg ] || fail "plot printed '$out'"
[ -s ber.svg ] || fail "no ber.svg"
# the title from what they share, the key entries from what differs
has ber.svg "Bit error rate: qpsk, awgn"
has ber.svg ">maxlog<"
has ber.svg ">hard<"
has ber.svg ">theory<"
# points without errors drawn as bounds, and said so in the key
has ber.svg "no errors: ber 95% upper bound"
# the theory line in the colour of the first simulated curve of its link (#1f77b4)
n_blue=$(grep -c "stroke='rgb( 31, 119, 180)'" ber.svg)
[ "$n_blue" -ge 2 ] || fail "theory not drawn in its simulated curve's colour ($n_blue)"
ls ber.svg.tmp* 2>/dev/null && fail "temporary left"

# A learning curve, with and without an optimal loss in its metadata.
"$bersim" train --mod qpsk --channel awgn --ebn0 0:8 --steps 200 -o m.model --log curve.tsv \
    --quiet || fail train
# train writes the optimal receiver's loss where one exists (perfect CSI): drawn as a line
grep -q '^# optimal_loss: ' curve.tsv || fail "train wrote no optimal_loss"
"$bersim" plot curve.tsv -o curve.svg >/dev/null || fail "curve plot"
has curve.svg "validation set"
has curve.svg "Learning curve: detector, qpsk"
has curve.svg "optimal receiver"
grep -v '^# optimal_loss' curve.tsv > curve_none.tsv
"$bersim" plot curve_none.tsv -o curve_none.svg >/dev/null || fail "curve plot without optimum"
grep -q "optimal receiver" curve_none.svg && fail "an optimal-receiver line was invented"
sed '/^# optimal_loss/d; s/^# trained_by: .*/&\n# optimal_loss: 0.0625 (exact log-MAP)/' curve.tsv > curve_opt.tsv
"$bersim" plot curve_opt.tsv -o curve_opt.png >/dev/null || fail "curve plot (png)"
"$bersim" plot curve_opt.tsv -o curve_opt.svg >/dev/null || fail "curve plot (svg)"
has curve_opt.svg "optimal receiver (0.0625)"
[ -s curve_opt.png ] || fail "no png"
# two OFDM receivers' curves that differ only in the clipping they were trained at: the key
# entries name it
for c in 1 2; do
    sed "s/^# trained_by: .*/&\n# ofdm_channel: doppler=0 clip=$c cfo=0/" curve.tsv > clip$c.tsv
done
"$bersim" plot clip1.tsv clip2.tsv -o clip.svg >/dev/null || fail "curves of two clipping levels"
has clip.svg "clip=1"
has clip.svg "clip=2"

# Bad tables: exit 2, one line naming the file and the problem.
printf 'just text\n1\t2\n' > notbersim.tsv
printf '# version: bersim 0.1.0\n' > noheader.tsv
printf '# version: bersim 0.1.0\nfoo\tbar\n1\t2\n' > columns.tsv
printf '# version: bersim 0.1.0\nebn0_db\tesn0_db\tber\tser\n1\t2\t3\n' > short.tsv
expect_bad() { # pattern, then the plot arguments
    local pattern=$1
    shift
    "$bersim" plot "$@" -o bad.svg 2>err.txt >/dev/null
    local status=$?
    [ $status -eq 2 ] || fail "plot $*: exit $status, not 2"
    [ "$(wc -l < err.txt)" -eq 1 ] || fail "plot $*: not one line: $(cat err.txt)"
    grep -qF -- "$pattern" err.txt || fail "plot $*: '$pattern' not in: $(cat err.txt)"
    [ -e bad.svg ] && fail "plot $*: a figure from a bad table"
}
expect_bad "'missing.tsv': cannot read" maxlog.tsv missing.tsv
expect_bad "'notbersim.tsv': not a bersim table" notbersim.tsv
# a file without newlines is refused at the line's limit, not read into memory without end
expect_bad "'/dev/zero': line 1 is longer than 131072 bytes" /dev/zero
{ printf '# version: bersim 0.1.0\n# note: '; head -c 200000 /dev/zero | tr '\0' x; } > long.tsv
expect_bad "'long.tsv': line 2 is longer than 131072 bytes" long.tsv
expect_bad "'noheader.tsv': no header line" noheader.tsv
expect_bad "'columns.tsv': wrong columns" columns.tsv
expect_bad "'short.tsv': line 3 has 3 fields" short.tsv
expect_bad "'curve.tsv': a learning curve cannot share" maxlog.tsv curve.tsv
expect_bad "'maxlog.tsv': no block error rates" -m bler maxlog.tsv
# a simulated table with bler_lo and bler_hi but no bler: refused for -m bler (gnuplot once drew
# the column it matched by prefix, bler_lo, as the rate; found by fuzz_table)
printf '# version: bersim 0.1.0\nebn0_db\tber\tber_lo\tber_hi\tblers\tbler_lo\tbler_hi\n%s\n' \
    $'0\t0.1\t0.09\t0.11\t0.5\t0.4\t0.6' > nobler.tsv
expect_bad "'nobler.tsv': no block error rates" -m bler nobler.tsv

# No gnuplot: a clear message, exit 1.
PATH=/nonexistent "$bersim" plot maxlog.tsv -o nognuplot.svg 2>err.txt >/dev/null
status=$?
[ $status -eq 1 ] || fail "without gnuplot: exit $status, not 1"
grep -q "gnuplot is not installed" err.txt || fail "without gnuplot: $(cat err.txt)"

# scripts/plot.sh wraps it, and a long table through it exits 0 (it once died with 141).
if [ -n "${BERSIM_SOURCE_DIR:-}" ]; then
    { head -n 20 maxlog.tsv
      awk -v row="$(tail -n 1 maxlog.tsv)" 'BEGIN { for (i = 0; i < 20000; i++) print row }'
    } > long.tsv
    BERSIM=$bersim bash "$BERSIM_SOURCE_DIR/scripts/plot.sh" -o long.png long.tsv theory.tsv \
        >/dev/null || fail "plot.sh exit $?"
    [ -s long.png ] || fail "plot.sh made no figure"
fi

[ $fails -eq 0 ] && echo "test_plot: all passed"
exit $((fails > 0))

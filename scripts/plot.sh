#!/usr/bin/env bash
# One command from result tables to a figure:
#   bash scripts/plot.sh [-o OUT.png|.svg|.pdf] [-t TITLE] [-m ber|bler] TABLE...
# Simulated tables (those with a ber_lo column) become points with error bars, theory tables
# lines; key titles come from each table's metadata (modulation, channel, receiver, code,
# decoder). -m bler draws block error rates: the bler column of coded tables, and of theory
# tables both bler (exact, hard decoding) and bler_ub (union bound of soft ML).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=ber.png
title=
metric=ber
usage() { echo "usage: plot.sh [-o OUT.png|.svg|.pdf] [-t TITLE] [-m ber|bler] TABLE..." >&2; exit 2; }
while getopts "o:t:m:h" opt; do
    case $opt in
        o) out=$OPTARG ;;
        t) title=$OPTARG ;;
        m) metric=$OPTARG ;;
        *) usage ;;
    esac
done
case $metric in
    ber|bler) ;;
    *) echo "plot.sh: -m '$metric' is not ber or bler" >&2; exit 2 ;;
esac
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage
case ${out##*.} in
    png|svg|pdf) ;;
    *) echo "plot.sh: -o '$out' must end in .png, .svg or .pdf" >&2; exit 2 ;;
esac
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot is not installed (bash scripts/setup.sh)" >&2; exit 2; }

meta() { sed -n "s/^# $1: //p" "$2" | head -n 1; }
quote() { printf "'%s'" "${1//\'/\'\'}"; }

sims=() sim_titles=() theories=() theory_titles=() theory_columns=()
for f in "$@"; do
    [ -r "$f" ] || { echo "plot.sh: cannot read '$f'" >&2; exit 2; }
    header=$(grep -v '^#' "$f" | head -n 1)
    case $header in
        ebn0_db*) ;;
        *) echo "plot.sh: '$f' is not a bersim table (no ebn0_db header)" >&2; exit 2 ;;
    esac
    what="$(meta modulation "$f"), $(meta channel "$f")"
    code=$(meta code "$f" | cut -d' ' -f1)
    [ -z "$code" ] || what="$what, $code $(meta decoder "$f" | cut -d';' -f1)"
    if [[ $header == *ber_lo* ]]; then
        if [[ $metric == bler && $header != *bler_lo* ]]; then
            echo "plot.sh: '$f' has no block error rates" >&2; exit 2
        fi
        sims+=("$f"); sim_titles+=("$what, $(meta receiver "$f") (simulated)")
        continue
    fi
    for column in $metric ${metric}_ub; do
        if [[ $'\t'$header$'\t' == *$'\t'$column$'\t'* ]]; then
            theories+=("$f"); theory_columns+=("$column")
            if [[ $column == *_ub ]]; then
                theory_titles+=("$(meta modulation "$f"), $(meta channel "$f"), $code soft ML, union bound")
            else
                theory_titles+=("$what, theory")
            fi
        fi
    done
done
[ -n "$title" ] || title="$( [ "$metric" = bler ] && echo Block || echo Bit) error rate: $(meta modulation "$1"), $(meta channel "$1")"

cmd="out=$(quote "$out"); plot_title=$(quote "$title"); metric=$(quote "$metric"); ns=${#sims[@]}; nt=${#theories[@]};"
cmd+=" array S[${#sims[@]} > 0 ? ${#sims[@]} : 1]; array ST[${#sims[@]} > 0 ? ${#sims[@]} : 1];"
cmd+=" array T[${#theories[@]} > 0 ? ${#theories[@]} : 1]; array TT[${#theories[@]} > 0 ? ${#theories[@]} : 1];"
cmd+=" array TC[${#theories[@]} > 0 ? ${#theories[@]} : 1];"
for i in "${!sims[@]}"; do
    cmd+=" S[$((i + 1))]=$(quote "${sims[$i]}"); ST[$((i + 1))]=$(quote "${sim_titles[$i]}");"
done
for i in "${!theories[@]}"; do
    cmd+=" T[$((i + 1))]=$(quote "${theories[$i]}"); TT[$((i + 1))]=$(quote "${theory_titles[$i]}");"
    cmd+=" TC[$((i + 1))]=$(quote "${theory_columns[$i]:-ber}");"
done
tmp="$out.tmp.$$"
# gnuplot writes to a temporary name; the figure appears whole or not at all.
cmd=${cmd/out=$(quote "$out")/out=$(quote "$tmp"); fmt=$(quote "${out##*.}")}
if ! gnuplot -e "$cmd" "$here/ber.gp"; then
    rm -f "$tmp"
    echo "plot.sh: gnuplot failed on $*" >&2
    exit 1
fi
mv -f "$tmp" "$out"
echo "$out"

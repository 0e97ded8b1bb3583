#!/usr/bin/env bash
# One command from result tables to a figure, a thin wrapper around `bersim plot`:
#   bash scripts/plot.sh [-o OUT.png|.svg|.pdf] [-t TITLE] [-m ber|bler] TABLE...
# (default -o ber.png). The bersim used: $BERSIM, else build/bersim, else bersim on PATH.
# No pipes here: the old script's `grep | head` under pipefail died silently with status 141
# when head closed the pipe early.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bersim=${BERSIM:-$top/build/bersim}
if [ ! -x "$bersim" ]; then
    bersim=$(command -v bersim || true)
    [ -n "$bersim" ] || { echo "plot.sh: no bersim (build it: bash scripts/build.sh)" >&2; exit 1; }
fi
case " $* " in
    *" -o "*) exec "$bersim" plot "$@" ;;
    *) exec "$bersim" plot -o ber.png "$@" ;;
esac

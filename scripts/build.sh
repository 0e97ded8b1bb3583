#!/usr/bin/env bash
# Configures and builds bersim into build/ (or $1, with further arguments passed to cmake).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/build}
shift || true
cmake -S "$top" -B "$dir" "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"

#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job: bersim demo.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/scripts/setup.sh"
bash "$top/scripts/build.sh" "$top/build"
"$top/build/bersim" demo "$@"

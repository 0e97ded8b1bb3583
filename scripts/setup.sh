#!/usr/bin/env bash
# Installs what bersim needs on Debian 12 (as root), and does nothing when all is there.
set -euo pipefail
packages=(gcc make cmake pkg-config libfftw3-dev libgsl-dev libcmocka-dev libopenblas-dev gnuplot-nox)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

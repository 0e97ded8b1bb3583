#!/usr/bin/env bash
# Installs what bersim needs on Debian 12 (as root), and does nothing when all is there.
set -euo pipefail
# build-essential brings the C library headers, which --no-install-recommends would leave out of
# gcc; fonts-liberation is what gnuplot's cairo terminals draw text with; libclang-rt-14-dev,
# only recommended by clang, holds libFuzzer and clang's sanitizer runtimes (scripts/fuzz.sh).
# libopenmpi-dev and openmpi-bin (mpirun): bersim sim over MPI ranks (README: MPI).
packages=(build-essential clang libclang-rt-14-dev cmake pkg-config libfftw3-dev libgsl-dev
          libcmocka-dev libopenblas-dev gnuplot-nox fonts-liberation libopenmpi-dev openmpi-bin)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# ctest-labels: slow
# Every golden link (tests/test_golden.sh: modulations, channels, CSI, classical and learned
# receivers, codes, end-to-end pairs, stop rules, the early end of a sweep) under `mpirun -np 3`
# with 2 threads a rank gives its recorded table, but for the workers line. Skipped (77) in a
# build without MPI or without mpirun. Usage: test_mpi_golden.sh PATH/TO/bersim
set -u
bersim=$1
if ! "$bersim" --version | grep -q '(MPI)' || ! command -v mpirun >/dev/null; then
    echo "SKIP: bersim is built without MPI, or there is no mpirun"
    exit 77
fi
launch="mpirun -q --oversubscribe -np 3"
[ "$(id -u)" -eq 0 ] && launch+=" --allow-run-as-root"
# In a sanitized build: Open MPI's own allocations outlive MPI_Finalize in components it has
# unloaded, which LeakSanitizer reports and cannot name; the other sanitizers stay on.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
BERSIM_LAUNCH=$launch exec bash "$(dirname "$0")/test_golden.sh" "$bersim"

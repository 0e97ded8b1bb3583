#!/usr/bin/env bash
# bersim sim over MPI ranks (README: MPI): the table of `mpirun -np 2` and `-np 3` with 1 and 2
# threads a rank is the table of one process with one thread, but for its date, command and
# workers lines (BPSK whose points stop on --min-errors and whose sweep ends early, 16-QAM over
# block Rayleigh with pilots, a learned receiver trained here, OFDM); SIGTERM mid-sweep keeps
# the finished rows; a rank killed with SIGKILL leaves no table and a message; bad input gives
# one line and status 2 from every rank. Skipped (77) in a build without MPI or without mpirun.
# Usage: test_mpi.sh PATH/TO/bersim
set -u
bersim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # the ranks below run in other folders
# shellcheck source=cli_lib.sh
source "$(dirname "$0")/cli_lib.sh"

if ! "$bersim" --version | grep -q '(MPI)'; then
    echo "SKIP: bersim is built without MPI (-DBERSIM_MPI=OFF)"
    exit 77
fi
if ! command -v mpirun >/dev/null; then
    echo "SKIP: no mpirun (bash scripts/setup.sh)"
    exit 77
fi
# -q: mpirun's own banners off, so that bersim's one line is all of stderr; --oversubscribe:
# 3 ranks of 2 threads on this 2-core machine
mpi=(mpirun -q --oversubscribe)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
mpit=(timeout 120 "${mpi[@]}") # a run that hangs fails
# In a sanitized build: Open MPI's own allocations outlive MPI_Finalize in components it has
# unloaded, which LeakSanitizer reports and cannot name; the other sanitizers stay on.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

rows() { grep -v -e '^# date: ' -e '^# command: ' -e '^# workers: ' "$1"; }

# same_table NAME ARGS...: one process with one thread, then 2 and 3 ranks of 1 and 2 threads.
same_table() {
    local name=$1; shift
    if ! "$bersim" sim --quiet --threads 1 "$@" -o "$dir/$name.ref" 2>"$dir/err"; then
        bad "$name: one process failed: $(cat "$dir/err")"
        return
    fi
    for np in 2 3; do
        for t in 1 2; do
            local out=$dir/$name.$np.$t
            if ! "${mpit[@]}" -np $np "$bersim" sim --quiet --threads $t "$@" -o "$out" \
                2>"$dir/err"; then
                bad "$name: -np $np --threads $t failed: $(cat "$dir/err")"
            elif ! grep -q "^# workers: $np MPI ranks x $t thread" "$out"; then
                bad "$name: -np $np --threads $t: no workers line"
            elif ! diff <(rows "$dir/$name.ref") <(rows "$out") >"$dir/diff"; then
                bad "$name: -np $np --threads $t differs: $(head -5 "$dir/diff")"
            else
                ok
            fi
        done
    done
}

# BPSK: every point but the last stops on --min-errors after a few chunks; 12 dB sees no error
# in 2e6 bits, so the sweep ends there
bpsk=(--mod bpsk --channel awgn --ebn0 0:3:15 --min-errors 300 --max-bits 2e6 --seed 11)
same_table bpsk "${bpsk[@]}"
grep -q '^# stopped: no bit error at Eb/N0 = 12 dB' "$dir/bpsk.ref" && ok ||
    bad "bpsk: the sweep did not end early"
# 16-QAM over block Rayleigh with pilots: the error rule waits for 32 chunks
same_table qam16_pilot --mod 16qam --channel rayleigh --coherence 8 --csi pilot --ebn0 5:10:25 \
    --min-errors 500 --max-bits 1e6 --seed 3
# a learned receiver, trained here, and OFDM: short points, so groups of 2 chunks
# (BERSIM_MPI_GROUP) give every rank a share of them
export BERSIM_MPI_GROUP=2
if "$bersim" train --mod qpsk --channel rayleigh --ebn0 0:10 --hidden 16 --steps 300 --batch 64 \
    --seed 7 -o "$dir/rx.model" 2>"$dir/err"; then
    same_table learned --mod qpsk --channel rayleigh --rx nn --model "$dir/rx.model" \
        --ebn0 0:5:10 --min-errors 20000 --max-bits 2e6 --seed 5
else
    bad "train failed: $(cat "$dir/err")"
fi
same_table ofdm --ofdm 64 --profile eva --mod qpsk --est lmmse --pilots 8 --ebn0 5:5:15 \
    --min-errors 200 --max-bits 1e6 --seed 2
unset BERSIM_MPI_GROUP

# A sweep long enough to be interrupted after a few rows on an idle machine too: 1e6 errors a
# point, up to 1e10 bits (from 8 dB on, seconds each).
long=(sim --quiet --mod bpsk --channel awgn --ebn0 0:1:12 --min-errors 1e6 --max-bits 1e10
      --seed 9 --threads 1)

# The ranks' process ids (children of mpirun), rank 0 first.
ranks_of() {
    local c
    for c in $(pgrep -P "$1"); do
        tr '\0' '\n' <"/proc/$c/environ" 2>/dev/null | sed -n "s/^OMPI_COMM_WORLD_RANK=//p" |
            sed "s/\$/ $c/"
    done | sort -n | cut -d' ' -f2
}

# running MP: waits until both ranks of mpirun MP have had a second of CPU time (well into the
# sweep, past MPI's start-up and with bersim's signal handlers in place), 60 s at most. A fixed
# sleep failed on a loaded machine: a rank killed while still starting took rank 0 down
# before it could say so.
running() {
    local tck pids p t busy
    tck=$(getconf CLK_TCK)
    for _ in $(seq 600); do
        pids=$(ranks_of "$1")
        if [ "$(printf '%s\n' "$pids" | grep -c .)" -eq 2 ]; then
            busy=1
            for p in $pids; do
                t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null)
                [ "${t:-0}" -ge "$tck" ] || busy=0
            done
            [ "$busy" -eq 1 ] && return 0
        fi
        sleep 0.1
    done
    return 1
}

# Lines of FILE but the warnings of Open MPI's event library ("[warn] Epoll MOD(1) on fd 25
# failed ... Bad file descriptor"), which mpirun may print as it is torn down by a signal: the
# messages of bersim are the rest.
bersim_lines() { grep -v '^\[warn\] ' "$1" | grep -c .; }

# interrupted HOW STATUS: SIGTERM to mpirun (which sends it to every rank a second later and
# SIGKILL a second after that; mpirun itself then exits 1) or to the ranks themselves (as
# Slurm's scancel does; mpirun passes their status 130 on): the finished rows are those of one
# process over the same points.
interrupted() {
    local how=$1 want=$2 out=$dir/int.$1.tsv
    "${mpi[@]}" -np 2 "$bersim" "${long[@]}" -o "$out" 2>"$dir/err" &
    local mp=$!
    if ! running $mp; then
        bad "SIGTERM to $how: the ranks did not start"
        kill -KILL $mp
        return
    fi
    if [ "$how" = mpirun ]; then kill -TERM $mp; else kill -TERM $(ranks_of $mp); fi
    wait $mp
    local status=$?
    local n
    n=$(grep -cv '^#' "$out" 2>/dev/null)
    n=$((${n:-1} - 1)) # less the header
    if [ "$status" -ne "$want" ] || ! grep -q '^# stopped: interrupted' "$out" ||
        [ "$n" -lt 1 ] || [ "$(bersim_lines "$dir/err")" -ne 1 ] ||
        ! grep -q "interrupted; $n complete rows written" "$dir/err"; then
        bad "SIGTERM to $how: status $status (expected $want), $n rows: $(cat "$dir/err")"
        return
    fi
    local last
    last=$(grep -v '^#' "$out" | tail -1 | cut -f1)
    "$bersim" "${long[@]/0:1:12/0:1:$last}" -o "$dir/int.ref" 2>/dev/null
    if diff <(grep -v '^#' "$dir/int.ref") <(grep -v '^#' "$out") >/dev/null; then ok; else
        bad "SIGTERM to $how: the $n rows differ from one process's"
    fi
}
interrupted mpirun 1
interrupted ranks 130

# SIGKILL to rank 1 mid-sweep: rank 0 hears of it from mpirun's SIGTERM, waits 0.6 s for rank 1
# and gives up: no table, not even a temporary one, a line naming rank 1, status not 0.
mkdir "$dir/killed"
"${mpi[@]}" -np 2 "$bersim" "${long[@]}" -o "$dir/killed/t.tsv" 2>"$dir/err" &
mp=$!
if running $mp; then
    kill -KILL "$(ranks_of $mp | sed -n 2p)"
else
    kill -KILL $mp
fi
wait $mp
status=$?
if [ "$status" -ne 0 ] && [ -z "$(ls -A "$dir/killed")" ] &&
    grep -q 'rank 1 did not finish its chunks.*no table written' "$dir/err"; then ok; else
    bad "SIGKILL to rank 1: status $status, files: $(ls "$dir/killed"), stderr: $(cat "$dir/err")"
fi

# Bad input: one line from rank 0, status 2 from every rank (mpirun -q passes it on).
mpi_usage() {
    local word=$1; shift
    local err status
    err=$("${mpit[@]}" -np 3 "$bersim" "$@" 2>&1 >/dev/null); status=$?
    if [ "$status" -ne 2 ] || [ "$(printf '%s\n' "$err" | grep -c .)" -ne 1 ] ||
        [[ $err != *"$word"* ]]; then
        bad "mpirun bersim $* -> status $status: $err (expected 2, 1 line naming '$word')"
    else
        ok
    fi
}
mpi_usage "--bogus" sim --mod bpsk --ebn0 0 --bogus
mpi_usage "nowhere.model" sim --mod qpsk --channel rayleigh --rx nn --model "$dir/nowhere.model" \
    --ebn0 0
# rank 1 alone fails (its model file is cut short), or reads another model than rank 0's:
# rank 0 says so, once. Ranks run in folders of their own (mpirun's app contexts).
one_model_each() {
    "${mpit[@]}" -np 1 --wdir "$dir/a" "$bersim" sim --quiet --mod qpsk --channel rayleigh --rx nn \
        --model rx.model --ebn0 0 --max-bits 1e5 : -np 1 --wdir "$dir/b" "$bersim" sim --quiet \
        --mod qpsk --channel rayleigh --rx nn --model rx.model --ebn0 0 --max-bits 1e5 \
        >/dev/null 2>"$dir/err"
}
mkdir "$dir/a" "$dir/b"
cp "$dir/rx.model" "$dir/a/rx.model"
head -c 100 "$dir/rx.model" >"$dir/b/rx.model"
one_model_each
status=$?
[ "$status" -eq 2 ] && [ "$(bersim_lines "$dir/err")" -eq 1 ] && grep -q "^bersim: rank 1: " "$dir/err" &&
    ok || bad "a model cut short on rank 1 alone: status $status: $(cat "$dir/err")"
"$bersim" train --mod qpsk --channel rayleigh --ebn0 0:10 --hidden 16 --steps 50 --batch 64 \
    --seed 8 -o "$dir/b/rx.model" 2>/dev/null
one_model_each
status=$?
[ "$status" -eq 2 ] && [ "$(bersim_lines "$dir/err")" -eq 1 ] &&
    grep -q "'rx.model' is not the same file on every rank" "$dir/err" &&
    ok || bad "another model on rank 1: status $status: $(cat "$dir/err")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) into build-fuzz/ and runs each for a
# while from its seed corpus (README: Fuzzing). Fails when a harness finds a crash, leak,
# timeout, out-of-memory or sanitizer error, and prints the reproducer.
#   bash scripts/fuzz.sh [-t SECONDS] [-d BUILD_DIR] [HARNESS...]
# SECONDS per harness (default 60); HARNESS among fuzz_nn_model fuzz_nn_model_crc fuzz_modem
# fuzz_learned_model fuzz_cli fuzz_table fuzz_checkpoint fuzz_checkpoint_crc (default: all). New inputs collect in
# BUILD_DIR/fuzz-work/HARNESS and are kept for the next run; findings go to
# BUILD_DIR/fuzz-artifacts/HARNESS/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=60
dir=$top/build-fuzz
while getopts t:d: flag; do
    case $flag in
    t) seconds=$OPTARG ;;
    d) dir=$(realpath -m "$OPTARG") ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] ||
    harnesses=(fuzz_nn_model fuzz_nn_model_crc fuzz_modem fuzz_learned_model fuzz_cli fuzz_table
               fuzz_checkpoint fuzz_checkpoint_crc)

bash "$top/scripts/setup.sh"
CC=clang bash "$top/scripts/build.sh" "$dir" -DBERSIM_FUZZ=ON -DBERSIM_NATIVE=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo

failed=()
for h in "${harnesses[@]}"; do
    case $h in
    fuzz_modem) seeds=modem extra=() ;;
    fuzz_cli) seeds=cli extra=(-dict="$top/tests/fuzz/cli.dict") ;;
    fuzz_table) seeds=table extra=(-dict="$top/tests/fuzz/table.dict") ;;
    fuzz_nn_model | fuzz_nn_model_crc | fuzz_learned_model) seeds=nn_model extra=() ;;
    fuzz_checkpoint | fuzz_checkpoint_crc) seeds=checkpoint extra=() ;;
    *) echo "fuzz: no harness '$h'" >&2; exit 2 ;;
    esac
    work=$dir/fuzz-work/$h artifacts=$dir/fuzz-artifacts/$h log=$dir/fuzz-logs/$h.log
    mkdir -p "$work" "$artifacts" "$(dirname "$log")"
    echo "fuzz: $h for ${seconds} s (log: $log)"
    status=0
    # -close_fd_mask=3: the parsers' own messages are not shown; a report still is
    "$dir/$h" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -close_fd_mask=3 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "${extra[@]}" \
        "$work" "$dir/fuzz-corpus/$seeds" > "$log" 2>&1 || status=$?
    grep -E '^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" |
        sed 's/^/    /' || true
    if [ "$status" -ne 0 ]; then
        failed+=("$h")
        echo "fuzz: $h FAILED (exit status $status); the report:" >&2
        grep -E -A40 '^==[0-9]+==ERROR|runtime error|^==[0-9]+== ERROR|ERROR: libFuzzer' "$log" |
            head -60 >&2 || tail -40 "$log" >&2
        for a in $(grep -oE 'Test unit written to [^ ]+' "$log" | awk '{print $5}'); do
            echo "fuzz: reproducer: $a" >&2
            echo "fuzz: reproduce with: $dir/$h $a" >&2
        done
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: findings in ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: no findings in ${harnesses[*]}"

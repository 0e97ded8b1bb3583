#!/usr/bin/env bash
# Bad inputs of issue 11 that once got through: each ends in one line on stderr naming what is
# wrong (exit 2, or 1 for a failed write) and leaves nothing half-written behind.
# Usage: test_bad_inputs.sh PATH/TO/bersim
set -u
bersim=$1
# shellcheck source=cli_lib.sh
source "$(dirname "$0")/cli_lib.sh"

# expect_fail STATUS WORD ARGS...: that status, one line on stderr containing WORD, no function name.
expect_fail() {
    local want=$1 word=$2; shift 2
    local err status lines
    err=$("$bersim" "$@" 2>&1 >/dev/null); status=$?
    lines=$(printf '%s\n' "$err" | grep -c .)
    if [ "$status" -ne "$want" ] || [ "$lines" -ne 1 ] || [[ $err != *"$word"* ]] ||
        [[ $err =~ (nn|ch|sim)_[a-z_]+: ]]; then
        bad "bersim $* -> status $status, $lines lines: $err (expected $want, 1 line naming '$word')"
    else
        ok
    fi
}

link=(--mod qpsk --channel awgn --ebn0 5)
# A failed write names the path and the reason.
if [ -w /dev/full ]; then
    expect_fail 1 "'/dev/full': No space left on device" sim "${link[@]}" --max-bits 1e4 --quiet -o /dev/full
    expect_fail 1 "'/dev/full': No space left on device" theory "${link[@]}" -o /dev/full
    expect_fail 2 "'/dev/full': No space left on device" train --mod qpsk --channel awgn --ebn0 0:10 --steps 20 --quiet -o /dev/full
    expect_fail 2 "'/dev/full': No space left on device" train --mod qpsk --channel awgn --ebn0 0:10 --steps 20 --quiet -o "$dir/c.model" --log /dev/full
    expect_usage "'/dev/full' is not a directory" demo -o /dev/full
fi
# Wrong reasons once given.
expect_usage "Not a directory" sim "${link[@]}" -o /etc/passwd/x.tsv
expect_usage "underflows" sim --mod qpsk --channel awgn --ebn0 1e-400
expect_usage "overflows" sim --mod qpsk --channel awgn --ebn0 1e400

# An option given twice is refused in every subcommand.
expect_usage "--ebn0 given twice" sim --ebn0 0 --ebn0 3 --mod qpsk --channel awgn
expect_usage "--mod given twice" theory --mod qpsk --mod bpsk --channel awgn --ebn0 3
expect_usage "--steps given twice" train --mod qpsk --channel awgn --ebn0 0:10 -o "$dir/m" --steps 5 --steps 9
expect_usage "-o given twice" export --e2e-model "$dir/none" -o "$dir/a" -o "$dir/b"
expect_usage "--seed given twice" export --ofdm 16 --mod qpsk --ebn0 5 --seed 1 --seed 2
expect_usage "--threads given twice" demo --threads 1 --threads 2
expect_usage "--threads given twice" bench --threads 1 --threads 2
expect_usage "--quiet given twice" sim "${link[@]}" --quiet --quiet
# -o and --log naming one file by two names.
(cd "$dir" && expect_usage "same file" train --mod qpsk --channel awgn --ebn0 0:10 --steps 20 --quiet -o "$dir/m.model" --log ./m.model)
[ ! -e "$dir/m.model" ] && ok || bad "train -o and --log as one file wrote it"

# A newline in an argument cannot split a metadata line: every line before the header is '#'.
nl="$dir/a
5	1	1	1
b.tsv"
"$bersim" theory "${link[@]}" -o "$nl" 2>/dev/null
header=$(grep -n '^ebn0_db' "$nl" | cut -d: -f1)
[ -n "$header" ] && [ "$(head -n $((header - 1)) "$nl" | grep -vc '^#')" -eq 0 ] &&
    grep -qF -e "-o \$'$dir/a\\n5\\t1\\t1\\t1\\nb.tsv'" "$nl" && ok || bad "metadata split by a newline: $(cat "$nl")"
rm -f "$nl"

# Model files: a feature_scale no training makes, and a hidden layer wider than sim takes.
"$bersim" train --mod qpsk --channel awgn --ebn0 0:10 --steps 20 --quiet -o "$dir/q.model"
# patch_meta FILE KEY VALUE OUT: the model with one metadata value replaced and the CRC made good.
patch_meta() {
    perl -e '
        my ($in, $key, $value, $out) = @ARGV;
        open my $f, "<:raw", $in or die; local $/; my $b = <$f>; close $f;
        my $pos = 12; my $n = unpack("V", substr($b, $pos, 4)); $pos += 4;
        for (1 .. $n) {
            my $kl = unpack("V", substr($b, $pos, 4)); my $k = substr($b, $pos + 4, $kl);
            $pos += 4 + $kl; my $vl = unpack("V", substr($b, $pos, 4));
            if ($k eq $key) { substr($b, $pos, 4 + $vl) = pack("V", length $value) . $value; last }
            $pos += 4 + $vl;
        }
        substr($b, -4) = "";
        # CRC-32 (IEEE, as zlib) of everything before it
        my $crc = 0xFFFFFFFF;
        for my $c (unpack("C*", $b)) { $crc ^= $c; $crc = ($crc >> 1) ^ (0xEDB88320 & -($crc & 1)) for 1 .. 8 }
        $b .= pack("V", $crc ^ 0xFFFFFFFF);
        open my $o, ">:raw", $out or die; print $o $b; close $o;' "$@"
}
for v in inf 1e39 -1 0 1e12; do
    patch_meta "$dir/q.model" feature_scale "$v" "$dir/scale.model"
    expect_usage "feature_scale" sim "${link[@]}" --rx nn --model "$dir/scale.model" --max-bits 1e4
done
patch_meta "$dir/q.model" feature_scale 0.1 "$dir/scale.model"
"$bersim" sim "${link[@]}" --rx nn --model "$dir/scale.model" --max-bits 1e4 --quiet >/dev/null &&
    ok || bad "a model with its CRC made good again does not load"
# widen FILE WIDTH OUT: the model's network replaced by input -> WIDTH (relu) -> its outputs.
widen() {
    perl -e '
        my ($in, $w, $out) = @ARGV;
        open my $f, "<:raw", $in or die; local $/; my $b = <$f>; close $f;
        my $pos = 12; my $n = unpack("V", substr($b, $pos, 4)); $pos += 4;
        for (1 .. 2 * $n) { $pos += 4 + unpack("V", substr($b, $pos, 4)) }
        my ($nin, $nl) = unpack("VV", substr($b, $pos, 8));
        my $nout = unpack("V", substr($b, $pos + 8 + 20 * ($nl - 2) + 4, 4));
        my $p1 = $nin * $w + $w; my $p2 = $w * $nout + $nout;
        $b = substr($b, 0, $pos) . pack("VV", $nin, 3) . pack("V5", 1, $w, 1, 0, $p1)
           . pack("V5", 1, $nout, 0, 0, $p2) . pack("V5", 4, 1, 2, 0, 0)
           . pack("VV", $p1 + $p2, 0) . ("\0" x (4 * ($p1 + $p2)));
        my $crc = 0xFFFFFFFF;
        for my $c (unpack("C*", $b)) { $crc ^= $c; $crc = ($crc >> 1) ^ (0xEDB88320 & -($crc & 1)) for 1 .. 8 }
        $b .= pack("V", $crc ^ 0xFFFFFFFF);
        open my $o, ">:raw", $out or die; print $o $b; close $o;' "$@"
}
widen "$dir/q.model" 8193 "$dir/wide.model"
expect_usage "more than the 8192" sim "${link[@]}" --rx nn --model "$dir/wide.model" --max-bits 1e4
widen "$dir/q.model" 16 "$dir/narrow.model"
"$bersim" sim "${link[@]}" --rx nn --model "$dir/narrow.model" --max-bits 1e3 --quiet >/dev/null &&
    ok || bad "a model rebuilt by widen does not load: $("$bersim" sim "${link[@]}" --rx nn --model "$dir/narrow.model" --max-bits 1e3 2>&1 >/dev/null)"
"$bersim" train --mod qpsk --channel awgn --ebn0 0:10 --hidden 4096 -o "$dir/w.model" --steps 1 --quiet &&
    "$bersim" sim "${link[@]}" --rx nn --model "$dir/w.model" --max-bits 1e3 --quiet >/dev/null &&
    ok || bad "train's widest hidden layer does not run in sim"

# The table may not replace the model the run reads, under any name.
expect_usage "is the input file" sim "${link[@]}" --rx nn --model "$dir/q.model" -o "$dir/./q.model"

# Stale temporaries of the output go; SIGHUP and SIGQUIT end a run like Ctrl-C.
touch "$dir/out.tsv.tmpAb12Cd" "$dir/out.tsv.tmpkeepme1" "$dir/other.tsv.tmpAb12Cd"
"$bersim" theory "${link[@]}" -o "$dir/out.tsv"
[ ! -e "$dir/out.tsv.tmpAb12Cd" ] && [ -e "$dir/out.tsv.tmpkeepme1" ] && [ -e "$dir/other.tsv.tmpAb12Cd" ] &&
    ok || bad "stale temporaries: $(ls "$dir")"
for sig in HUP QUIT KILL; do
    "$bersim" sim --mod bpsk --channel awgn --ebn0 0:1:20 --min-errors 1e12 --max-bits 1e12 \
        --quiet -o "$dir/$sig.tsv" 2>"$dir/err" &
    pid=$!
    sleep 1
    kill -$sig $pid
    { wait $pid; status=$?; } 2>/dev/null
    temps=$(ls "$dir" | grep -c "^$sig.tsv.tmp")
    if [ $sig = KILL ]; then
        [ "$temps" -eq 0 ] && ok || bad "kill -9 left a temporary file"
    elif [ $status -eq 130 ] && [ "$temps" -eq 0 ] && grep -q '^# stopped: interrupted' "$dir/$sig.tsv"; then ok
    else bad "SIG$sig: status $status, $(ls "$dir")"; fi
done

# The output's directory removed during a run: the rows are kept in $TMPDIR, and the message says
# where (as root, permissions do not stop a write, so removal stands for a read-only directory).
# The run cannot end by itself; it is removed once its first row is on disk and then interrupted,
# so no machine is fast enough to finish first. rm is repeated while the run still replaces its
# table in the directory being removed.
mkdir "$dir/gone" "$dir/tmp"
TMPDIR="$dir/tmp" "$bersim" sim --mod bpsk --channel awgn --ebn0 0:1:30 --min-errors 1000 \
    --max-bits 1e15 --quiet -o "$dir/gone/out.tsv" 2>"$dir/err" &
pid=$!
for _ in $(seq 1000); do [ -e "$dir/gone/out.tsv" ] && break; sleep 0.01; done
for _ in $(seq 100); do rm -rf "$dir/gone" 2>/dev/null && break; done
sleep 0.2
kill -INT $pid
{ wait $pid; status=$?; } 2>/dev/null
kept=$(ls "$dir"/tmp/bersim-out.tsv.* 2>/dev/null)
if [ $status -eq 1 ] && [ -n "$kept" ] && grep -q "kept in $kept" "$dir/err" &&
    grep -q '^# stopped: interrupted' "$kept" && [ "$(grep -c -v '^#' "$kept")" -ge 2 ] &&
    [ ! -e "$dir/gone" ]; then ok
else bad "directory removed mid-run: status $status, $(cat "$dir/err"), kept: $kept"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

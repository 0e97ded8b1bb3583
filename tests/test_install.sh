#!/usr/bin/env bash
# cmake --install into a temporary prefix: every file where users expect it, the man page and
# the completion in step with the commands' --help, the installed bersim running and reading
# the installed gnuplot scripts (the build tree's reading the source tree's), and a C program
# built with pkg-config against the installed headers and libraries, also after the prefix is
# moved. Usage: test_install.sh BUILD_DIR/bersim (the build directory is the binary's).
set -u
bersim=$1
build=$(cd "$(dirname "$bersim")" && pwd)
src=${BERSIM_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=cli_lib.sh
source "$(dirname "$0")/cli_lib.sh"

check() { # check DESCRIPTION COMMAND...: the command succeeds
    local what=$1; shift
    if "$@" >/dev/null 2>&1; then ok; else bad "$what"; fi
}

prefix=$dir/prefix
if ! cmake --install "$build" --prefix "$prefix" >"$dir/install.log" 2>&1; then
    cat "$dir/install.log"
    echo "FAIL: cmake --install $build"
    exit 1
fi

# --- the files ------------------------------------------------------------------------------
check "bin/bersim is not an executable" test -x "$prefix/bin/bersim"
for f in share/bersim/scripts/ber.gp share/bersim/scripts/curve.gp \
         share/bersim/scripts/constellation.gp share/man/man1/bersim.1 \
         share/bash-completion/completions/bersim include/bersim/channel.h include/bersim/nn.h \
         include/bersim/sim.h; do
    check "$f is not installed" test -s "$prefix/$f"
done
pc=$(find "$prefix" -name bersim.pc -path '*/pkgconfig/*' | head -n 1)
check "no bersim.pc installed" test -n "$pc"
libdir=$(dirname "${pc:-$prefix/lib/pkgconfig/x}")/..
for lib in libsim.a libnn.a libchannel.a; do
    check "$lib is not installed" test -s "$libdir/$lib"
done

# --- the man page: renders, and names every command and option of bersim's --help ------------
man_page=$prefix/share/man/man1/bersim.1
if command -v groff >/dev/null; then
    warnings=$(groff -man -Tutf8 -ww -z "$man_page" 2>&1)
    [ -z "$warnings" ] && ok || bad "the man page: groff warns: $warnings"
fi
commands=$("$bersim" --help | sed -n '/^commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p' | tr '\n' ' ')
[ -n "$commands" ] && ok || bad "bersim --help lists no commands"
man_text=$(sed 's/\\-/-/g' "$man_page")
completion=$prefix/share/bash-completion/completions/bersim
for cmd in $commands; do
    grep -q "^\.SS $cmd\$" "$man_page" && ok || bad "the man page has no section for $cmd"
    grep -qw "$cmd" "$completion" && ok || bad "the completion does not know $cmd"
    for opt in $("$bersim" "$cmd" --help | sed -n 's/^  \(--\?[a-z][a-z0-9-]*\).*/\1/p' | sort -u); do
        grep -qe "$opt\\b" <<<"$man_text" && ok || bad "the man page does not name $cmd $opt"
        grep -qe "$opt\\b" "$completion" && ok || bad "the completion does not know $cmd $opt"
    done
done

# --- the completion: commands, options, files -----------------------------------------------
complete_words() { # complete_words WORD...: what the completion offers for the last word
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
             _bersim; printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$@" 2>/dev/null
}
complete_words bersim th | grep -qx theory && ok || bad "completion: bersim th -> theory"
complete_words bersim sim --mo | grep -qx -- --model && ok || bad "completion: sim --mo"
complete_words bersim sim --mod 16 | grep -qx 16qam && ok || bad "completion: --mod 16"
touch "$dir/q16.model"
complete_words bersim sim --model "$dir/q16" | grep -qx "$dir/q16.model" && ok \
    || bad "completion: --model completes no file name"

# --- the installed bersim runs, and reads the installed scripts ---------------------------------
run=$prefix/bin/bersim
"$run" --version | grep -q '^bersim [0-9]' && ok || bad "installed bersim --version"
if "$run" theory --mod qpsk --channel awgn --ebn0 0:2:4 -o "$dir/theory.tsv" 2>"$dir/err" \
    && [ "$(grep -vc '^#' "$dir/theory.tsv")" -eq 4 ]; then ok
else bad "installed bersim theory: $(cat "$dir/err")"; fi
# A gnuplot first on PATH that notes the scripts it is given, then hands over to the real one.
mkdir "$dir/bin"
real_gnuplot=$(command -v gnuplot || true)
hand_over=
[ -n "$real_gnuplot" ] && hand_over="exec '$real_gnuplot' \"\$@\""
cat >"$dir/bin/gnuplot" <<EOF
#!/usr/bin/env bash
printf '%s\n' "\$@" >>"$dir/gnuplot.log"
$hand_over
EOF
chmod +x "$dir/bin/gnuplot"
scripts_used() { # scripts_used BERSIM: the directories of the .gp scripts it has gnuplot run
    rm -f "$dir/gnuplot.log" "$dir/fig.png"
    env -u BERSIM_SCRIPTS PATH="$dir/bin:$PATH" "$1" plot "$dir/theory.tsv" -o "$dir/fig.png" \
        --quiet >/dev/null 2>"$dir/err"
    grep '\.gp$' "$dir/gnuplot.log" 2>/dev/null | xargs -r -n 1 dirname | sort -u
}
used=$(scripts_used "$run")
[ "$used" = "$prefix/share/bersim/scripts" ] && ok \
    || bad "installed bersim draws with scripts in '$used', not $prefix/share/bersim/scripts ($(cat "$dir/err"))"
if [ -n "$real_gnuplot" ]; then
    check "installed bersim plot made no figure" test -s "$dir/fig.png"
fi
used=$(scripts_used "$bersim")
[ "$used" = "$(cd "$src/scripts" && pwd)" ] && ok \
    || bad "the build tree's bersim draws with scripts in '$used', not $src/scripts"

# --- a C program against the installed tree, before and after moving it ---------------------
build_example() { # build_example PREFIX: builds and runs examples/qpsk.c with PREFIX's bersim.pc
    local pcdir flags
    pcdir=$(dirname "$(find "$1" -name bersim.pc -path '*/pkgconfig/*' | head -n 1)")
    if ! flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs bersim 2>"$dir/err"); then
        bad "pkg-config bersim: $(cat "$dir/err")"; return
    fi
    # shellcheck disable=SC2086
    if ${CC:-cc} -std=c11 -Wall -Wextra -Werror "$src/examples/qpsk.c" $flags -o "$dir/qpsk" \
        2>"$dir/err"; then ok; else bad "examples/qpsk.c does not build: $(cat "$dir/err")"; return; fi
    "$dir/qpsk" | grep -q '^bits recovered' && ok || bad "examples/qpsk.c: $("$dir/qpsk" 2>&1)"
}
build_example "$prefix"
mv "$prefix" "$dir/moved"
build_example "$dir/moved"
prefix=$dir/moved
used=$(scripts_used "$prefix/bin/bersim")
[ "$used" = "$prefix/share/bersim/scripts" ] && ok \
    || bad "a moved install draws with scripts in '$used', not $prefix/share/bersim/scripts"

echo "test_install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

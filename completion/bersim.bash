# bash completion for bersim: its commands, each command's options, the values of the options
# that take a fixed set, and file names where an option takes a file (-o, --model, ...).
# Installed as share/bash-completion/completions/bersim; keep it in step with bersim CMD --help.

_bersim()
{
    local cur prev cmd i
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}

    local commands="sim theory train export demo bench plot"
    cmd=
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -*) ;;
            *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi

    # Values of the option before the cursor.
    case $prev in
        -o)
            if [[ $cmd == demo ]]; then
                COMPREPLY=($(compgen -d -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            compopt -o filenames 2>/dev/null
            return ;;
        --model | --e2e-model | --constellation | --log | --resume)
            COMPREPLY=($(compgen -f -- "$cur"))
            compopt -o filenames 2>/dev/null
            return ;;
        --mod) COMPREPLY=($(compgen -W "bpsk qpsk 8psk 16qam 64qam 256qam" -- "$cur")); return ;;
        --channel) COMPREPLY=($(compgen -W "awgn rayleigh rician" -- "$cur")); return ;;
        --rx) COMPREPLY=($(compgen -W "hard maxlog exact nn" -- "$cur")); return ;;
        --csi) COMPREPLY=($(compgen -W "perfect pilot" -- "$cur")); return ;;
        --code) COMPREPLY=($(compgen -W "hamming74 hamming1511 golay24 polar16_8 polar:" -- "$cur")); return ;;
        --decoder) COMPREPLY=($(compgen -W "hard ml map sc scl: nn" -- "$cur")); return ;;
        --profile) COMPREPLY=($(compgen -W "exp epa eva etu" -- "$cur")); return ;;
        --est) COMPREPLY=($(compgen -W "perfect ls lmmse" -- "$cur")); return ;;
        --arch) COMPREPLY=($(compgen -W "unfolded mlp" -- "$cur")); return ;;
        --study) COMPREPLY=($(compgen -W "autoencoder" -- "$cur")); return ;;
        -m) [[ $cmd == plot ]] && COMPREPLY=($(compgen -W "ber bler" -- "$cur")); return ;;
        --only)
            COMPREPLY=($(compgen -W "$(bersim bench --help 2>/dev/null |
                sed -n 's/^  \([a-z0-9_]*\) .*/\1/p')" -- "$cur"))
            return ;;
        --ebn0 | --ebn0-range | --esn0 | --k-factor | --coherence | --pilot-spacing | --doppler | --design-snr | --ofdm | --cp | \
        --sample-rate | --pilots | --ofdm-symbols | --clip | --cfo | --declip | --min-errors | \
        --min-block-errors | --max-bits | --seed | --threads | --hidden | --steps | --batch | \
        --lr | --e2e | --e2e-constellation | -t)
            return ;;
    esac

    local link="--mod --constellation --channel --k-factor --coherence --doppler --csi --pilot-spacing --rx
                --code --decoder --design-snr --model"
    local ofdm="--ofdm --cp --profile --sample-rate --pilots --est --ofdm-symbols --clip --cfo
                --count-overhead"
    local opts
    case $cmd in
        sim) opts="--ebn0 --esn0 $link $ofdm --e2e-model --min-errors --min-block-errors
                   --max-bits --seed --threads -o --resume --progress --quiet --declip --help" ;;
        theory) opts="--ebn0 --esn0 $link $ofdm -o --help" ;;
        train) opts="--ebn0 --ebn0-range $link $ofdm --arch -o --hidden --steps --batch --lr --seed --log
                     --e2e --e2e-constellation --checkpoint --checkpoint-every --resume --quiet
                     --help" ;;
        export) opts="--e2e-model --esn0 --ebn0 --mod $ofdm --seed -o --help" ;;
        demo) opts="-o --threads --study --help" ;;
        bench) opts="--only --repeat --threads --seconds --help" ;;
        plot) opts="-o -t -m --quiet --help" ;;
        *) return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif [[ $cmd == plot ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
        compopt -o filenames 2>/dev/null
    fi
}
complete -F _bersim bersim

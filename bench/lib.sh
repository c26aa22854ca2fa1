# shellcheck shell=bash
# Sourced by the bench/*.sh scripts: where things are, a scratch directory, flags.
#   top           the repository
#   QB            our binary ($QB, else build/quantbench)
#   LLAMA_BINDIR  the reference tools ($LLAMA_BINDIR, else the build's llama.cpp)
#   out           a scratch directory, removed at exit
top=$(cd "$(dirname "$0")/.." && pwd)
QB=${QB:-$top/build/quantbench}
LLAMA_BINDIR=${LLAMA_BINDIR:-$(sed -n 's/^LLAMA_BINDIR := //p' "$top/build/llama.mk" 2>/dev/null || true)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# bench_flags USAGE "FLAG=VAR ..." "$@": each FLAG VALUE of the command line into its VAR
# (the caller sets the defaults first); anything else prints "usage: SCRIPT USAGE", exit 2
bench_flags() {
    local usage=$1 spec=$2 kv var
    shift 2
    while [ $# -gt 0 ]; do
        var=
        for kv in $spec; do
            [ "${kv%%=*}" = "$1" ] && var=${kv#*=}
        done
        if [ -z "$var" ] || [ $# -lt 2 ]; then
            echo "usage: $0 $usage" >&2
            exit 2
        fi
        printf -v "$var" '%s' "$2"
        shift 2
    done
}

# bench_model NAME: the demo model's file for dense, moe or dense-f16 (scripts/demo-model.sh
# makes it once), else NAME itself
bench_model() {
    case "$1" in
    dense | moe | dense-f16) QB="$QB" bash "$top/scripts/demo-model.sh" "$1" ;;
    *) echo "$1" ;;
    esac
}

#!/bin/sh
# Submits one chakrawatch night to Slurm: an array with one task per tile
# that has new scenes (`chakrawatch plan`), then `finish` once all of them
# succeeded (--dependency=afterok).  Run it where the configuration's
# state, output and inbox folders are the same paths as on the compute
# nodes (a shared filesystem whose locks work: NFSv4, Lustre with flock).
#   scripts/slurm/submit-night.sh CONFIG [NIGHT] [-- SBATCH_OPTIONS...]
# NIGHT defaults to today (UTC).  Prints "array JOBID" (or "array none")
# and "finish JOBID".  CHAKRAWATCH names the binary (default: chakrawatch
# on PATH).  A failed night is resubmitted with the same command: tiles
# already done are not in the plan any more.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
config=$(cd "$(dirname "${1:?usage: submit-night.sh CONFIG [NIGHT] [-- SBATCH_OPTIONS...]}")" && pwd)/$(basename "$1")
shift
night=$(date -u +%Y-%m-%d)
if [ $# -gt 0 ] && [ "$1" != "--" ]; then night=$1; shift; fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
bin=${CHAKRAWATCH:-$(command -v chakrawatch || true)}
[ -x "$bin" ] || { echo "submit-night: no chakrawatch binary (set CHAKRAWATCH)" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
# the plan is kept beside the night's logs, so each task reads the same list
dir=$(mktemp -d "${TMPDIR:-/tmp}/cw-night-$night.XXXXXX")
"$bin" plan "$config" > "$dir/tiles"
n=$(grep -c . "$dir/tiles" || true)
export CW_BIN="$bin" CW_CONFIG="$config" CW_NIGHT="$night" CW_TILES="$dir/tiles"
dep=""
if [ "$n" -gt 0 ]; then
    arr=$(sbatch --parsable --export=ALL --array=0-$((n - 1)) --output="$dir/tile-%a.out" "$@" "$HERE/tile.sbatch")
    arr=${arr%%;*}
    dep="--dependency=afterok:$arr"
    echo "array $arr"
else
    echo "array none"
fi
fin=$(sbatch --parsable --export=ALL $dep --output="$dir/finish.out" "$@" "$HERE/finish.sbatch")
echo "finish ${fin%%;*}"

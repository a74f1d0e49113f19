#!/bin/sh
# Writes the ingest fixtures test_pipeline and the CLI tests use: one
# generated scene (seed 1, 1001 x 803, odd on purpose; 256-pixel input
# blocks) in every layout and offset convention, plus its truth.
set -eu
OUT=$1
GEN="/usr/bin/python3 $(dirname "$0")/../scripts/s2synth.py scene"
rm -rf "$OUT"
mkdir -p "$OUT"
$GEN "$OUT/folder" --layout folder --convention metadata --truth "$OUT/truth"
$GEN "$OUT/folder-common/S2B_MSIL2A_20240115T153619_N0510_R068_T18MTD_20240115T171500" \
    --layout folder-common --convention name
$GEN "$OUT/folder-scale" --layout folder --convention scale
$GEN "$OUT/scene.SAFE" --layout safe
$GEN "$OUT/multiband.tif" --layout multiband --convention metadata
$GEN "$OUT/old-baseline.SAFE" --layout safe --baseline 02.14 --truth "$OUT/truth/old"
$GEN "$OUT/no-scl" --layout folder --no-scl
$GEN "$OUT/tall" --layout folder --height 1300 --width 700 --seed 3

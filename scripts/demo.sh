#!/bin/sh
# The main job on demo data: generates a Sentinel-2 L2A demo scene of the
# Napo foothills (deterministic, see scripts/s2synth.py) into data/demo/
# unless already there, then runs `chakrawatch info` and
# `chakrawatch indices` on it, writing GeoTIFFs into demo-out/.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SCENE=data/demo/S2B_MSIL2A_20240115T153619_N0510_R068_T18MTD_20240115T171500
if [ ! -d "$SCENE" ]; then
    echo "generating demo scene in $SCENE"
    /usr/bin/python3 scripts/s2synth.py scene "$SCENE" --layout folder --width 2048 --height 2048 --seed 7 \
        --block 512
fi
"$BUILD/chakrawatch" info "$SCENE"
"$BUILD/chakrawatch" indices "$SCENE" --out demo-out --index ndvi,nbr,ndmi,bsi,mndwi,ndti -v
echo "demo outputs:"
ls -l demo-out

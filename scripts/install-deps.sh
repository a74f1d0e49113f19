#!/bin/sh
# Install the Debian packages chakrawatch needs to build, test (LibreOffice for
# the spreadsheet test, Chromium and Selenium for the browser tests, Slurm
# and PostgreSQL + PostGIS for the scale-out tests) and benchmark.
# Idempotent: packages already present are not reinstalled and apt is not
# touched at all when nothing is missing.  Runs as root directly, or via sudo.
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --bench  also the benchmark tools (hyperfine)
set -eu

PKGS="build-essential pkg-config libgdal-dev gdal-bin python3-gdal python3-numpy \
libproj-dev proj-bin libpng-dev libsqlite3-dev libzstd-dev libtiff-dev libdeflate-dev \
libfreetype-dev libssl-dev libxlsxwriter-dev fonts-dejavu-core chromium chromium-driver python3-selenium clang libclang-rt-14-dev libreoffice-calc-nogui \
slurmctld slurmd slurm-client munge postgresql-15 postgresql-15-postgis-3 procps libtiff-tools zstd"
if [ "${1:-}" = "--bench" ]; then
    PKGS="$PKGS hyperfine time"
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-deps: need root (or sudo) to install:$missing" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null

#!/bin/sh
# Installs the Debian packages continuo needs, only those missing, through apt-get
# (with sudo when not root). `deps.sh build` = what building needs; `deps.sh test` adds
# the hosts and tools the tests drive (jackd, jalv, lv2 validators, Ardour, midicsv, and
# PyTorch for the parity test; without it that test would count nothing).
set -e
BUILD_PKGS="gcc clang libclang-rt-14-dev make pkg-config lv2-dev liblilv-dev libjack-jackd2-dev libsmf-dev libportmidi-dev libopenblas-dev libcairo2-dev help2man fluidsynth fluid-soundfont-gm sox libopenmpi-dev openmpi-bin"
TEST_PKGS="jackd2 jalv lilv-utils serdi sordi lv2-examples midicsv python3-mido python3-torch ardour"
want="$BUILD_PKGS"
[ "${1:-build}" = test ] && want="$want $TEST_PKGS"
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing missing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# jackd2 asks about realtime priority; answer it ahead so the install never waits on a prompt.
echo "jackd2 jackd/tweak_rt_limits boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -qq >&2 || echo "deps: apt-get update failed; trying the install anyway" >&2
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2

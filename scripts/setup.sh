#!/usr/bin/env bash
# Installs every Debian (bookworm) package that building, testing and
# benchmarking tatami needs. Run as root (or with sudo available).
set -euo pipefail

# One group per user: build tools; libraries the CMake files find; the test
# framework; libtorch for the encoder plugin and Python with torch/numpy for
# the encoder scripts, their tests and the benchmark baselines; pybind11 and
# the Python headers for the `tatami` Python module, pytest for its tests; taskset
# (util-linux) for pinned benchmarks; time and bc for the trace benchmark's
# memory and ratios; formatting and the compiler cache.
packages=(
  build-essential cmake ninja-build pkg-config git
  libboost1.74-dev libboost-filesystem1.74-dev
  nlohmann-json3-dev libsimdjson-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libopenblas0-pthread libopenblas-dev libxxhash-dev
  libgtest-dev libgmock-dev
  libtorch-dev python3 python3-torch python3-numpy
  pybind11-dev python3-dev python3-pytest
  util-linux time bc clang-format ccache
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup.sh: must run as root (or with sudo) to install packages" >&2; exit 1
  fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup.sh: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

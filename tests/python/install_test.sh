#!/usr/bin/env bash
# `cmake --install --component python` under a temporary prefix gives a
# package that imports from anywhere with PYTHONPATH at its dist-packages,
# with its stubs, and without the build tree.
#   install_test.sh BUILD_DIR PYTHON INSTALL_DIR_RELATIVE
set -euo pipefail
build=$1 python=$2 rel=$3
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --component python --prefix "$prefix" >/dev/null
pkg="$prefix/$rel/tatami"
for f in __init__.py _tatami.pyi py.typed; do
  [ -f "$pkg/$f" ] || { echo "install_test: $pkg/$f not installed" >&2; exit 1; }
done
ls "$pkg"/_tatami*.so >/dev/null
cd "$prefix"
PYTHONPATH="$prefix/$rel" "$python" -c "
import tatami, pathlib, sys
assert pathlib.Path(tatami.__file__).is_relative_to('$prefix'), tatami.__file__
assert 'torch' not in sys.modules
print('installed tatami', tatami.__version__, 'env' if tatami.HAS_ENV else 'no env')
"

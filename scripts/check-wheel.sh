#!/usr/bin/env bash
# Install a repaired zarrc wheel into a fresh virtual environment and check it:
# ldd of the installed extension, the smoke test (bundled codec libraries only,
# with nothing but numpy installed), then the fast part of the test suite, run
# from outside the repository so the installed wheel is what gets imported.
#
#   scripts/check-wheel.sh dist/zarrc-*.whl
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
wheel=$(realpath "$1")
work=$(mktemp -d /tmp/zarrc-wheelcheck.XXXXXX)
trap 'rm -rf "$work"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1

python3 -m venv "$work/venv"
py=$work/venv/bin/python
"$py" -m pip install -q "$wheel"
echo "== installed: $("$py" -m pip freeze | tr '\n' ' ')"

site=$("$py" -c 'import sysconfig; print(sysconfig.get_path("platlib"))')
ext=$(ls "$site"/zarrc/_ext/_engine*.so)
echo "== ldd $ext"
ldd "$ext"
echo "== bundled: $(ls "$site/zarrc.libs" | tr '\n' ' ')"

cd "$work"  # not the repository: its zarrc/ must not shadow the installed one
echo "== smoke test"
"$py" "$repo/scripts/smoke_test.py" --require-bundled

echo "== fast tests against the installed wheel"
"$py" -m pip install -q pytest hypothesis numcodecs 'zarr>=3.1' google-crc32c
"$py" -c "import zarrc, sys; assert zarrc.__file__.startswith('$site'), zarrc.__file__"
"$py" -m pytest -p no:cacheprovider -q -m "not slow" \
  "$repo/tests/test_array_api.py" "$repo/tests/test_storage_local.py" \
  "$repo/tests/test_v2_codecs.py" "$repo/tests/test_corrupt_chunks.py" \
  "$repo/tests/test_corrupt_shards.py" "$repo/tests/test_engine_errors.py" \
  "$repo/tests/test_sharding_requests.py" "$repo/tests/test_dtypes.py"

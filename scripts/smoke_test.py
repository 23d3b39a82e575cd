"""Smoke test of an installed zarrc: every C codec round-trips, and the codec
libraries come from where they should.

    python scripts/smoke_test.py [--require-bundled]

Run it from outside the repository so that the installed package is imported.
With ``--require-bundled`` (used on repaired wheels) it fails unless every codec
library loaded by the engine is the copy auditwheel put beside the package
(``zarrc.libs``) or linked into the engine itself, never a system one.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

import zarrc
from zarrc import codecs

CODEC_LIBS = ("libzstd", "libblosc", "libdeflate", "liblz4")


def mapped_codec_libs() -> dict[str, set[str]]:
    """The files of the codec libraries mapped into this process, by library."""
    found: dict[str, set[str]] = {name: set() for name in CODEC_LIBS}
    for line in Path("/proc/self/maps").read_text().splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) < 6:
            continue
        path = parts[5]
        base = Path(path).name
        for name in CODEC_LIBS:
            if base.startswith(name + ".") or base.startswith(name + "-"):
                found[name].add(path)
    return found


def round_trips() -> None:
    data = (np.arange(64 * 48 * 5, dtype="uint16") % 1000).reshape(64, 48, 5)
    compressors = {
        "zstd": codecs.ZstdCodec(level=1),
        "blosc-lz4": codecs.BloscCodec(cname="lz4", shuffle="shuffle"),
        "blosc-zstd": codecs.BloscCodec(cname="zstd", shuffle="bitshuffle"),
        "gzip": codecs.GzipCodec(level=5),
        "none": None,
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, comp in compressors.items():
            a = zarrc.create_array(
                f"{tmp}/{name}.zarr",
                shape=data.shape,
                chunks=(16, 16, 5),
                dtype=data.dtype,
                compressors=comp,
            )
            a[...] = data
            back = zarrc.open_array(f"{tmp}/{name}.zarr", mode="r")[...]
            assert np.array_equal(back, data), name
            print(f"  {name}: ok")
        s = zarrc.create_array(
            f"{tmp}/sharded.zarr",
            shape=(256,),
            chunks=(16,),
            shards=(64,),
            dtype="int32",
            compressors=codecs.ZstdCodec(level=3),
        )
        s[:] = np.arange(256, dtype="int32")
        assert np.array_equal(s[::-3], np.arange(256, dtype="int32")[::-3])
        print("  sharded zstd: ok")
        for comp in ({"id": "zlib", "level": 1}, {"id": "lz4"}, {"id": "zstd", "level": 1}):
            v2 = zarrc.create_array(
                f"{tmp}/v2-{comp['id']}.zarr",
                shape=(100,),
                chunks=(30,),
                dtype="<f8",
                zarr_format=2,
                compressors=comp,
            )
            v2[:] = np.linspace(0, 1, 100)
            assert np.array_equal(v2[:], np.linspace(0, 1, 100)), comp
            print(f"  v2 {comp['id']}: ok")


def main() -> int:
    require_bundled = "--require-bundled" in sys.argv[1:]
    package = Path(zarrc.__file__).resolve().parent
    print(f"zarrc {zarrc.__version__} from {package}")
    round_trips()
    libs_dir = package.parent / "zarrc.libs"
    bad = []
    for name, paths in mapped_codec_libs().items():
        where = ", ".join(sorted(paths)) or "linked into the engine (not a separate library)"
        print(f"  {name}: {where}")
        for path in paths:
            if Path(path).resolve().parent != libs_dir.resolve():
                bad.append(path)
    if require_bundled and bad:
        print(f"FAIL: codec libraries loaded from outside {libs_dir}: {bad}", file=sys.stderr)
        return 1
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

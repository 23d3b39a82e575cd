"""The codec registry (built-ins, register_codec, entry points) and codec chains."""

from __future__ import annotations

import json
import sys
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import zarr
import zarr.codecs as zc

import zarrc.codecs as ours
from zarrc.codecs import registry
from zarrc.errors import MetadataError, UnknownCodecError


@pytest.fixture
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a test register codecs without leaking them into other tests."""
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))
    monkeypatch.setattr(registry, "_entry_points", None)


@dataclass(frozen=True, eq=False)
class XorCodec(ours.BytesBytesCodec):
    """A Python-only bytes-to-bytes codec: XOR every byte with a key."""

    codec_name: ClassVar[str] = "test.xor"
    key: int = 0x5A

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> XorCodec:
        config = data.get("configuration", {})
        if set(config) - {"key"}:
            raise ValueError(f"unexpected keys {sorted(config)}")
        return cls(**config)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.codec_name, "configuration": {"key": self.key}}

    def encode(self, data: Any, spec: ours.ChunkSpec) -> bytes:
        return (np.frombuffer(bytes(data), dtype=np.uint8) ^ self.key).tobytes()

    decode = encode


@dataclass(frozen=True, eq=False)
class NegateCodec(ours.ArrayArrayCodec):
    """A Python-only array-to-array codec."""

    codec_name: ClassVar[str] = "test.negate"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NegateCodec:
        return cls()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.codec_name}

    def encode(self, data: Any, spec: ours.ChunkSpec) -> np.ndarray:
        return -np.asarray(data)

    decode = encode


# -- registry ------------------------------------------------------------------------


def test_builtin_codecs_are_registered() -> None:
    expected = {
        "blosc": ours.BloscCodec,
        "bytes": ours.BytesCodec,
        "transpose": ours.TransposeCodec,
        "gzip": ours.GzipCodec,
        "zstd": ours.ZstdCodec,
        "crc32c": ours.Crc32cCodec,
    }
    for name, cls in expected.items():
        assert ours.get_codec_class(name) is cls
        assert cls.codec_name == name
        assert registry.registered_codecs()[name] is cls
    kinds = {cls.kind for cls in expected.values()}
    assert kinds == {"array_to_array", "array_to_bytes", "bytes_to_bytes"}


def test_unknown_codec_names_codec_and_path() -> None:
    with pytest.raises(UnknownCodecError) as info:
        ours.get_codec_class("no-such-codec", path="group/array/zarr.json")
    err = info.value
    assert isinstance(err, MetadataError) and isinstance(err, ValueError)
    assert err.path == "group/array/zarr.json" and err.field == "codecs"
    assert "no-such-codec" in str(err) and "group/array/zarr.json" in str(err)

    doc = {"name": "no-such-codec", "configuration": {}}
    with pytest.raises(UnknownCodecError, match="no-such-codec") as info:
        ours.codec_from_dict(doc, path="a/zarr.json")
    assert info.value.path == "a/zarr.json"


def test_codec_from_dict_envelope_errors() -> None:
    for bad in [{"configuration": {}}, {"name": 3}, [], 7]:
        with pytest.raises(MetadataError) as info:
            ours.codec_from_dict(bad, path="x/zarr.json")  # type: ignore[arg-type]
        assert info.value.path == "x/zarr.json" and info.value.field == "codecs"
    assert ours.codec_from_dict("crc32c") == ours.Crc32cCodec()


def test_register_codec(clean_registry: None) -> None:
    ours.register_codec("test.xor", XorCodec)
    assert ours.get_codec_class("test.xor") is XorCodec
    codec = ours.codec_from_dict({"name": "test.xor", "configuration": {"key": 3}})
    assert codec == XorCodec(key=3)
    # A third-party from_dict raising ValueError still surfaces as a located MetadataError.
    with pytest.raises(MetadataError, match="unexpected keys") as info:
        ours.codec_from_dict({"name": "test.xor", "configuration": {"k": 3}}, path="p")
    assert info.value.path == "p"
    with pytest.raises(TypeError):
        ours.register_codec("test.bad", dict)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ours.register_codec("", XorCodec)


def test_register_codec_replaces_previous(clean_registry: None) -> None:
    class MyGzip(ours.GzipCodec):
        pass

    ours.register_codec("gzip", MyGzip)
    codec = ours.codec_from_dict({"name": "gzip", "configuration": {"level": 1}})
    assert type(codec) is MyGzip


def write_distribution(root: Path, package: str, entry_points: str, source: str) -> None:
    """A minimal installed distribution: a package and a dist-info with entry points."""
    (root / package).mkdir()
    (root / package / "__init__.py").write_text(textwrap.dedent(source))
    info = root / f"{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


PLUGIN_SOURCE = """
    from dataclasses import dataclass
    from typing import ClassVar

    from zarrc.codecs import BytesBytesCodec


    @dataclass(frozen=True, eq=False)
    class ReverseCodec(BytesBytesCodec):
        codec_name: ClassVar[str] = "plugin.reverse"

        @classmethod
        def from_dict(cls, data):
            return cls()

        def to_dict(self):
            return {"name": self.codec_name}

        def encode(self, data, spec):
            return bytes(data)[::-1]

        decode = encode


    NOT_A_CODEC = 42
"""


def test_entry_point_codec_is_discovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_registry: None
) -> None:
    # Look the entry points up once before the distribution exists: a later lookup
    # of a missing name must see newly installed distributions.
    with pytest.raises(UnknownCodecError):
        ours.get_codec_class("plugin.reverse")
    write_distribution(
        tmp_path,
        "zarrc_test_plugin",
        """
        [zarrc.codecs]
        plugin.reverse = zarrc_test_plugin:ReverseCodec
        plugin.notacodec = zarrc_test_plugin:NOT_A_CODEC
        plugin.missing = zarrc_test_plugin_absent:Thing
        """,
        PLUGIN_SOURCE,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "zarrc_test_plugin", raising=False)

    cls = ours.get_codec_class("plugin.reverse")
    assert cls.__name__ == "ReverseCodec" and cls.__module__ == "zarrc_test_plugin"
    assert registry.registered_codecs()["plugin.reverse"] is cls

    chain = ours.parse_codecs(
        [{"name": "bytes"}, {"name": "plugin.reverse"}],
        ours.ChunkSpec(shape=(4,), dtype="u1"),
    )
    assert not chain.is_c_native
    data = np.arange(4, dtype=np.uint8)
    assert chain.encode(data) == bytes([3, 2, 1, 0])
    np.testing.assert_array_equal(chain.decode(bytes([3, 2, 1, 0])), data)

    with pytest.raises(UnknownCodecError, match="not a zarrc.codecs.Codec"):
        ours.get_codec_class("plugin.notacodec", path="z/zarr.json")
    with pytest.raises(UnknownCodecError, match="could not be loaded") as info:
        ours.get_codec_class("plugin.missing", path="z/zarr.json")
    assert info.value.path == "z/zarr.json"


def test_lazily_imported_builtin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_registry: None
) -> None:
    # Codecs kept outside zarrc.codecs (sharding) are imported on first lookup.
    (tmp_path / "zarrc_test_lazy.py").write_text(textwrap.dedent(PLUGIN_SOURCE))
    monkeypatch.syspath_prepend(str(tmp_path))
    lazy = {**registry._LAZY_BUILTINS, "lazy.reverse": "zarrc_test_lazy:ReverseCodec"}
    monkeypatch.setattr(registry, "_LAZY_BUILTINS", lazy)
    assert "zarrc_test_lazy" not in sys.modules
    assert ours.get_codec_class("lazy.reverse").__module__ == "zarrc_test_lazy"
    monkeypatch.delitem(sys.modules, "zarrc_test_lazy")


# -- chains ------------------------------------------------------------------------------

SPEC = ours.ChunkSpec(shape=(2, 3, 4), dtype="<f8", fill_value=0.0)
TRANSPOSE = {"name": "transpose", "configuration": {"order": [2, 0, 1]}}
BYTES = {"name": "bytes", "configuration": {"endian": "little"}}
GZIP = {"name": "gzip", "configuration": {"level": 1}}
CRC = {"name": "crc32c"}

BAD_ORDERS = [
    ([GZIP, BYTES], "before any array-to-bytes"),
    ([BYTES, BYTES], "more than one array-to-bytes"),
    ([BYTES, TRANSPOSE], "comes after the array-to-bytes"),
    ([TRANSPOSE, GZIP], "before any array-to-bytes"),
    ([TRANSPOSE], "found none"),
    ([], "found none"),
]


@pytest.mark.parametrize("codecs, message", BAD_ORDERS)
def test_chain_order_errors(codecs: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(MetadataError, match=message) as info:
        ours.parse_codecs(codecs, SPEC, path="arr/zarr.json")
    assert info.value.field == "codecs" and info.value.path == "arr/zarr.json"


def test_chain_rejects_non_lists_and_bad_entries() -> None:
    for bad in [BYTES, "bytes", None, 3]:
        with pytest.raises(MetadataError, match="list"):
            ours.parse_codecs(bad, SPEC, path="a")  # type: ignore[arg-type]
    with pytest.raises(UnknownCodecError, match="nope") as info:
        ours.parse_codecs([BYTES, {"name": "nope"}], SPEC, path="a/zarr.json")
    assert info.value.path == "a/zarr.json"


def test_chain_evolves_codecs_as_the_spec_flows() -> None:
    blosc = {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 1}}
    chain = ours.parse_codecs([TRANSPOSE, BYTES, blosc, CRC], SPEC, path="a/zarr.json")
    assert chain.array_to_array == (ours.TransposeCodec(order=(2, 0, 1)),)
    assert chain.array_to_bytes == ours.BytesCodec(endian="little")
    assert chain.bytes_to_bytes[0].typesize == 8
    assert chain.bytes_to_bytes[0].shuffle is ours.BloscShuffle.shuffle
    assert chain.bytes_to_bytes[1] == ours.Crc32cCodec()
    assert chain.all == (*chain.array_to_array, chain.array_to_bytes, *chain.bytes_to_bytes)
    assert chain.is_c_native
    assert chain.chunk_spec == SPEC
    shapes = [spec.shape for _, spec in chain.codec_specs()]
    assert shapes == [(2, 3, 4), (4, 2, 3), (4, 2, 3), (4, 2, 3)]
    assert chain.to_dicts() == [
        TRANSPOSE,
        BYTES,
        {
            "name": "blosc",
            "configuration": {
                "typesize": 8,
                "cname": "lz4",
                "clevel": 1,
                "shuffle": "shuffle",
                "blocksize": 0,
            },
        },
        CRC,
    ]
    data = np.arange(24, dtype="<f8").reshape(2, 3, 4)
    np.testing.assert_array_equal(chain.decode(chain.encode(data)), data)


def test_chain_validation_errors_are_located() -> None:
    wrong_ndim = {"name": "transpose", "configuration": {"order": [1, 0]}}
    with pytest.raises(MetadataError, match="dimensions") as info:
        ours.parse_codecs([wrong_ndim, BYTES], SPEC, path="a/zarr.json")
    assert info.value.path == "a/zarr.json" and info.value.field == "codecs"
    with pytest.raises(MetadataError, match="endian") as info:
        ours.parse_codecs([{"name": "bytes"}], SPEC, path="b/zarr.json")
    assert info.value.path == "b/zarr.json"
    with pytest.raises(MetadataError, match="level") as info:
        ours.parse_codecs([BYTES, {"name": "gzip", "configuration": {"level": 99}}], SPEC, path="c")
    assert info.value.path == "c"


def test_chain_of_one_byte_type_drops_endian() -> None:
    spec = ours.ChunkSpec(shape=(5,), dtype="u1")
    chain = ours.parse_codecs([BYTES, GZIP], spec)
    assert chain.to_dicts() == [{"name": "bytes"}, GZIP]


def test_python_codecs_interleave_with_builtins(clean_registry: None) -> None:
    ours.register_codec("test.xor", XorCodec)
    ours.register_codec("test.negate", NegateCodec)
    codecs = [
        {"name": "test.negate"},
        TRANSPOSE,
        BYTES,
        {"name": "test.xor", "configuration": {"key": 7}},
        GZIP,
        CRC,
    ]
    chain = ours.parse_codecs(codecs, SPEC)
    assert not chain.is_c_native
    assert [c.codec_name for c in chain.all] == [
        "test.negate",
        "transpose",
        "bytes",
        "test.xor",
        "gzip",
        "crc32c",
    ]
    data = np.linspace(-1, 1, 24).reshape(2, 3, 4)
    encoded = chain.encode(data)
    np.testing.assert_array_equal(chain.decode(encoded), data)
    # The same bytes a hand-run of the steps gives.
    step = np.transpose(-data, (2, 0, 1)).astype("<f8").tobytes()
    step = (np.frombuffer(step, dtype=np.uint8) ^ 7).tobytes()
    inner = ours.GzipCodec(level=1).decode(encoded[:-4], SPEC)
    assert inner == step


# -- create-time defaults ----------------------------------------------------------------

CREATE_CASES: list[dict[str, Any]] = [
    {},
    {"filters": None, "compressors": None},
    {"compressors": zc.GzipCodec(level=3)},
    {"compressors": [zc.BloscCodec(), zc.Crc32cCodec()]},
    {"compressors": {"name": "blosc", "configuration": {"cname": "lz4"}}},
    {"compressors": ()},
    {"filters": [zc.TransposeCodec(order=(1, 0))]},
    {"filters": {"name": "transpose", "configuration": {"order": [1, 0]}}},
    {"serializer": zc.BytesCodec(endian="big")},
    {"serializer": {"name": "bytes", "configuration": {"endian": "big"}}, "compressors": "auto"},
]


@pytest.mark.parametrize("dtype", ["u1", "bool", "<i2", ">i4", "f8", "c8", "M8[ns]", "S4"])
@pytest.mark.parametrize("case", CREATE_CASES, ids=[str(i) for i in range(len(CREATE_CASES))])
def test_normalize_codecs_for_create_matches_zarr_python(dtype: str, case: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = zarr.create_array({}, shape=(8, 6), chunks=(4, 3), dtype=dtype, **case)
    expected = [c.to_dict() for c in arr.metadata.codecs]
    mine = ours.normalize_codecs_for_create(dtype=np.dtype(dtype), shape=(4, 3), **case)
    assert json.dumps([c.to_dict() for c in mine]) == json.dumps(expected)
    # The same with zarrc's own codec objects instead of zarr-python's.
    converted = {
        key: ours.codec_from_dict(value.to_dict()) if hasattr(value, "to_dict") else value
        for key, value in case.items()
    }
    again = ours.normalize_codecs_for_create(dtype=np.dtype(dtype), shape=(4, 3), **converted)
    assert again == mine


def test_normalize_codecs_for_create_defaults() -> None:
    codecs = ours.normalize_codecs_for_create(dtype=np.dtype("<i4"), shape=(10,))
    assert codecs == (ours.BytesCodec(endian="little"), ours.ZstdCodec(level=0, checksum=False))
    codecs = ours.normalize_codecs_for_create(
        dtype=np.dtype("u1"), shape=(10,), compressors=None, filters=None
    )
    assert codecs == (ours.BytesCodec(endian=None),)


def test_normalize_codecs_for_create_errors() -> None:
    i4 = np.dtype("<i4")
    with pytest.raises(TypeError, match="filters"):
        ours.normalize_codecs_for_create(dtype=i4, shape=(4,), filters=[ours.GzipCodec()])
    with pytest.raises(TypeError, match="compressors"):
        ours.normalize_codecs_for_create(dtype=i4, shape=(4,), compressors=[ours.BytesCodec()])
    with pytest.raises(TypeError, match="serializer"):
        ours.normalize_codecs_for_create(dtype=i4, shape=(4,), serializer=ours.ZstdCodec())
    with pytest.raises(TypeError, match="serializer"):
        ours.normalize_codecs_for_create(dtype=i4, shape=(4,), serializer=None)
    with pytest.raises(TypeError, match="compressors"):
        ours.normalize_codecs_for_create(dtype=i4, shape=(4,), compressors=5)
    with pytest.raises(MetadataError, match="dimensions"):
        ours.normalize_codecs_for_create(
            dtype=i4, shape=(4,), filters=[ours.TransposeCodec(order=(1, 0))]
        )
    with pytest.raises(MetadataError, match="endian"):
        ours.normalize_codecs_for_create(
            dtype=i4, shape=(4,), serializer=ours.BytesCodec(endian=None)
        )

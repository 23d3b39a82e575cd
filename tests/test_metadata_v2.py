"""Tests of Zarr v2 metadata (.zarray, .zgroup, .zattrs, .zmetadata) against zarr-python."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import pytest
import zarr
from hypothesis import given
from hypothesis import strategies as st
from zarr.core.metadata.v2 import ArrayV2Metadata

from zarrc.errors import MetadataError
from zarrc.metadata.chunk_key_encoding import ChunkKeyEncoding
from zarrc.metadata.v2 import (
    ArrayMetadataV2,
    GroupMetadataV2,
    encode_v2_dtype,
    encode_v2_fill_value,
    parse_array_metadata_v2,
    parse_consolidated_v2,
    parse_group_metadata_v2,
    parse_v2_dtype,
    parse_v2_fill_value,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")

# Every typestring form, in both byte orders where the kind has one.
TYPESTRINGS = [
    "|b1",
    "|i1",
    "|u1",
    "<i2",
    ">i2",
    "<i4",
    ">i4",
    "<i8",
    ">i8",
    "<u2",
    ">u2",
    "<u4",
    ">u4",
    "<u8",
    ">u8",
    "<f2",
    ">f2",
    "<f4",
    ">f4",
    "<f8",
    ">f8",
    "<c8",
    ">c8",
    "<c16",
    ">c16",
    "|S1",
    "|S10",
    "<U1",
    "<U5",
    ">U5",
    "|V1",
    "|V8",
    "<M8[ns]",
    ">M8[ns]",
    "<M8[s]",
    "<M8[10s]",
    "<M8[D]",
    "<m8[s]",
    ">m8[ms]",
    "<m8[25us]",
    "<M8",
]

STRUCTURED = [
    [["a", "<i4"], ["b", "<f8"]],
    [["a", ">i4"], ["b", ">f8"]],
    [["x", "|u1"], ["y", "|S3"], ["z", "<U2"]],
    [["a", "<i2"], ["inner", [["p", "<f4"], ["q", "|b1"]]]],
]


def zarray(dtype: Any = "<i4", **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "shape": [10, 7],
        "chunks": [4, 3],
        "dtype": dtype,
        "fill_value": 0,
        "order": "C",
        "filters": None,
        "dimension_separator": ".",
        "compressor": {"id": "zstd", "level": 0},
        "zarr_format": 2,
    }
    doc.update(changes)
    return doc


def bits(value: Any) -> bytes:
    return np.asarray(value).tobytes()


def oracle_fill(doc: dict[str, Any]) -> Any:
    """The fill value zarr-python parses from a .zarray."""
    return ArrayV2Metadata.from_dict({**doc, "attributes": {}}).fill_value


# --------------------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("typestr", TYPESTRINGS)
def test_typestring_round_trip(typestr: str) -> None:
    stored, dt = parse_v2_dtype(typestr)
    assert stored == np.dtype(typestr)
    assert stored.str == typestr
    assert dt.dtype == stored.newbyteorder("=")
    assert dt.dtype.isnative
    assert encode_v2_dtype(stored) == typestr
    meta = parse_array_metadata_v2(zarray(typestr, fill_value=None))
    assert meta.stored_dtype == stored
    assert meta.dtype == dt.dtype
    assert json.loads(meta.to_zarray_json())["dtype"] == typestr


@pytest.mark.parametrize("fields", STRUCTURED, ids=range(len(STRUCTURED)))
def test_structured_round_trip(fields: list[Any]) -> None:
    stored, dt = parse_v2_dtype(fields)
    assert encode_v2_dtype(stored) == fields
    assert dt.dtype.isnative
    assert dt.dtype.itemsize == stored.itemsize
    meta = parse_array_metadata_v2(zarray(fields, fill_value=None))
    assert json.loads(meta.to_zarray_json())["dtype"] == fields


def test_object_dtype_needs_object_codec() -> None:
    meta = parse_array_metadata_v2(zarray("|O", fill_value="", filters=[{"id": "vlen-utf8"}]))
    assert meta.stored_dtype == np.dtype("O")
    assert meta.data_type.name == "string"
    meta = parse_array_metadata_v2(zarray("|O", fill_value=None, filters=[{"id": "vlen-bytes"}]))
    assert meta.data_type.name == "variable_length_bytes"
    with pytest.raises(MetadataError, match="dtype"):
        parse_array_metadata_v2(zarray("|O", fill_value=None), path="a/.zarray")


@pytest.mark.parametrize(
    "bad",
    [
        "i4",
        "int32",
        "<x4",
        "|i4",
        "<S0",
        "<i",
        "<f8[s]",
        "|M8[ns]",
        5,
        None,
        {"name": "<i4"},
        [],
        [["a"]],
    ],
)
def test_bad_dtype(bad: Any) -> None:
    with pytest.raises(MetadataError) as info:
        parse_array_metadata_v2(zarray(bad), path="grp/arr/.zarray")
    assert info.value.path == "grp/arr/.zarray"
    assert info.value.field == "dtype"


def test_subarray_field_not_registered_is_metadata_error() -> None:
    # A sub-array field has no Zarr data type (yet): a clear MetadataError.
    with pytest.raises(MetadataError, match="dtype"):
        parse_array_metadata_v2(zarray([["a", "<i4"], ["b", "<f8", [2]]], fill_value=None))


# --------------------------------------------------------------------------------------
# fill values
# --------------------------------------------------------------------------------------
FILLS = [
    ("<i4", 5),
    (">i4", -7),
    ("|u1", 255),
    ("<u8", 2**64 - 1),
    ("<i8", -(2**63)),
    ("<f8", 1.5),
    ("<f8", "NaN"),
    ("<f4", "Infinity"),
    (">f8", "-Infinity"),
    ("<f2", 0.5),
    ("<f4", 0.0),
    ("<c16", [1.0, 2.0]),
    ("<c8", ["NaN", "-Infinity"]),
    ("|b1", True),
    ("|b1", False),
    ("|S3", base64.b64encode(b"ab").decode()),
    ("|S3", ""),
    ("<U4", "hé"),
    ("|V4", base64.b64encode(b"\x01\x02\x03\x04").decode()),
    ("<M8[ns]", -(2**63)),
    ("<M8[s]", 86400),
    (">m8[10s]", 3),
    ([["a", "<i4"], ["b", "<f8"]], base64.b64encode(bits(np.array((1, 2.5), "<i4,<f8"))).decode()),
    ([["a", ">i4"], ["b", ">f8"]], base64.b64encode(bits(np.array((1, 2.5), ">i4,>f8"))).decode()),
]


@pytest.mark.parametrize(("dtype", "fill"), FILLS, ids=[f"{d}-{f}" for d, f in FILLS])
def test_fill_round_trip_matches_zarr_python(dtype: Any, fill: Any) -> None:
    doc = zarray(dtype, fill_value=fill)
    meta = parse_array_metadata_v2(doc)
    expected = oracle_fill(doc)
    got = meta.fill_value
    assert got is not None
    if np.asarray(expected).dtype.names is not None:
        assert bits(np.asarray(got).astype(meta.stored_dtype)) == bits(expected)
    elif isinstance(expected, float | complex | np.floating | np.complexfloating):
        assert bits(np.asarray(got, dtype=meta.dtype)) == bits(np.asarray(expected, meta.dtype))
    else:
        assert got == expected or (np.isnat(got) and np.isnat(expected))
    # Written back exactly as read.
    assert json.loads(meta.to_zarray_json())["fill_value"] == fill
    assert encode_v2_fill_value(got, meta.stored_dtype, meta.data_type) == fill


@pytest.mark.parametrize("dtype", ["<i4", "<f8", "<U3", "|S3", "<M8[s]", "|b1", "<c8", "|V2"])
def test_null_fill_reads_as_default(dtype: str) -> None:
    doc = zarray(dtype, fill_value=None)
    meta = parse_array_metadata_v2(doc)
    assert meta.fill_value is None
    assert json.loads(meta.to_zarray_json())["fill_value"] is None
    # zarr-python reads the missing chunks of a null-fill array as the type's default.
    z = zarr.create_array(store={}, shape=(2,), dtype=dtype, zarr_format=2, fill_value=None)
    expected = z[:][0]
    default = meta.fill_value_or_default
    assert bits(np.asarray(default, meta.dtype)) == bits(np.asarray(expected, meta.dtype))


@pytest.mark.parametrize(
    ("dtype", "fill"),
    [
        ("|b1", 1),
        ("|b1", 0),
        ("|S3", 0),
        ("<U3", 0),
        ("|V2", 0),
        ([["a", "<i4"]], 0),
    ],
)
def test_lenient_zero_fills(dtype: Any, fill: int) -> None:
    meta = parse_array_metadata_v2(zarray(dtype, fill_value=fill))
    assert meta.fill_value is not None
    if np.dtype(meta.dtype).kind != "b":
        assert bits(np.asarray(meta.fill_value, meta.dtype)) == bytes(meta.dtype.itemsize)
    else:
        assert bool(meta.fill_value) is bool(fill)


@pytest.mark.parametrize(
    ("dtype", "fill"),
    [
        ("<i4", "x"),
        ("<i4", 1.5),
        ("|u1", 256),
        ("<f8", "nan"),
        ("<f8", [1, 2]),
        ("|b1", "true"),
        ("|S3", "not base64!"),
        ("|V4", base64.b64encode(b"\x01\x02").decode()),
        ([["a", "<i4"]], base64.b64encode(b"\x01").decode()),
        ([["a", "<i4"]], [1]),
        ("<c8", "x"),
        ("<U3", 5),
    ],
)
def test_bad_fill(dtype: Any, fill: Any) -> None:
    with pytest.raises(MetadataError) as info:
        parse_array_metadata_v2(zarray(dtype, fill_value=fill), path="x/.zarray")
    assert info.value.field == "fill_value"
    assert info.value.path == "x/.zarray"


def test_fill_value_nan_payloads_and_signed_zero() -> None:
    meta = parse_array_metadata_v2(zarray("<f8", fill_value=-0.0))
    assert bits(meta.fill_value) == bits(np.float64(-0.0))
    assert json.loads(meta.to_zarray_json())["fill_value"] == 0.0
    assert math.copysign(1, json.loads(meta.to_zarray_json())["fill_value"]) == -1
    # Any NaN is written as "NaN" in format 2 (no hex payloads as in v3).
    odd_nan = np.frombuffer(b"\x01\x00\x00\x00\x00\x00\xf8\x7f", "<f8")[0]
    assert encode_v2_fill_value(odd_nan, meta.stored_dtype, meta.data_type) == "NaN"
    assert parse_v2_fill_value(None, meta.stored_dtype, meta.data_type) is None


# --------------------------------------------------------------------------------------
# whole documents against zarr-python
# --------------------------------------------------------------------------------------
def _zarr_python_arrays(root: Path) -> list[Path]:
    specs: list[dict[str, Any]] = [
        {"dtype": ">i4", "order": "F", "fill_value": 5, "attributes": {"x": 1, "y": [1.5, None]}},
        {"dtype": "f8", "fill_value": np.nan, "compressors": numcodecs.Zlib(level=3)},
        {"dtype": "f4", "fill_value": -np.inf, "compressors": None},
        {"dtype": "f8", "fill_value": None},
        {"dtype": "S5"},
        {"dtype": "<U5", "chunk_key_encoding": {"name": "v2", "separator": "/"}},
        {"dtype": [("a", "<i4"), ("b", "<f8")]},
        {"dtype": "M8[ns]"},
        {"dtype": ">m8[10s]", "fill_value": np.timedelta64("NaT")},
        {"dtype": "c16", "fill_value": 1 + 2j},
        {"dtype": "V8"},
        {"dtype": str},
        {"dtype": bool, "fill_value": True, "filters": [numcodecs.PackBits()]},
        {"dtype": "u1", "fill_value": 3, "compressors": numcodecs.Blosc(shuffle=-1)},
        {"dtype": "u2", "compressors": numcodecs.Zstd(level=3, checksum=True)},
        {
            "dtype": "i8",
            "filters": [numcodecs.Delta(dtype="i8", astype="i2"), numcodecs.CRC32()],
            "compressors": numcodecs.LZ4(),
        },
        {
            "dtype": "f8",
            "filters": [numcodecs.FixedScaleOffset(offset=1, scale=10, dtype="f8", astype="u1")],
            "compressors": numcodecs.BZ2(level=9),
        },
        {"dtype": "f4", "filters": [numcodecs.Quantize(digits=3, dtype="f4")]},
        {"dtype": "<U3", "filters": [numcodecs.Categorize(["a", "b"], dtype="<U3")]},
        {"dtype": "f4", "compressors": numcodecs.LZMA(preset=1)},
    ]
    paths = []
    for i, spec in enumerate(specs):
        shape = () if i == 9 else (10, 7)
        chunks = () if i == 9 else (4, 3)
        zarr.create_array(str(root / f"a{i}"), shape=shape, chunks=chunks, zarr_format=2, **spec)
        paths.append(root / f"a{i}")
    return paths


def test_zarr_python_documents_round_trip_byte_for_byte(tmp_path: Path) -> None:
    for path in _zarr_python_arrays(tmp_path):
        raw = (path / ".zarray").read_bytes()
        attrs = (path / ".zattrs").read_bytes()
        meta = parse_array_metadata_v2(raw, attrs, path=f"{path.name}/.zarray")
        assert meta.to_zarray_json() == raw, path.name
        assert meta.to_zattrs_json() == attrs, path.name
        assert meta.to_buffer_dict() == {".zarray": raw, ".zattrs": attrs}
        # The same through the keyword form used by the hierarchy code.
        assert parse_array_metadata_v2(raw, attributes=attrs) == meta
        z = zarr.open_array(str(path), mode="r")
        assert meta.shape == z.shape
        assert meta.chunk_shape == z.chunks
        if meta.dtype.kind != "T":
            assert meta.dtype == np.dtype(z.dtype).newbyteorder("=")
        assert meta.attributes == dict(z.attrs)


def test_zarr_python_reads_what_we_write(tmp_path: Path) -> None:
    meta = ArrayMetadataV2(
        shape=(6, 4),
        chunks=(3, 2),
        stored_dtype=">f4",
        fill_value=np.nan,
        order="F",
        dimension_separator="/",
        compressor={"id": "zlib", "level": 2},
        filters=[{"id": "delta", "dtype": ">f4", "astype": ">f4"}],
        attributes={"units": "m"},
    )
    (tmp_path / "a").mkdir()
    for name, data in meta.to_buffer_dict().items():
        (tmp_path / "a" / name).write_bytes(data)
    z = zarr.open_array(str(tmp_path / "a"), mode="r")
    assert z.shape == (6, 4)
    assert z.metadata.order == "F"
    assert z.metadata.dimension_separator == "/"
    assert np.isnan(z.fill_value)
    assert z.metadata.compressor.get_config() == {"id": "zlib", "level": 2}
    assert dict(z.attrs) == {"units": "m"}
    assert np.isnan(z[:]).all()
    # What zarr-python writes back for it is what we wrote.
    theirs = z.metadata.to_dict()
    theirs.pop("attributes")
    assert json.loads(meta.to_zarray_json()) == json.loads(json.dumps(theirs, allow_nan=True))


def test_metadata_properties() -> None:
    meta = parse_array_metadata_v2(
        zarray(">i2", dimension_separator="/", order="F"), {"a": 1}, path="p/.zarray"
    )
    assert meta.zarr_format == 2
    assert meta.node_type == "array"
    assert meta.ndim == 2
    assert meta.chunk_shape == meta.chunks == (4, 3)
    assert meta.chunk_grid_shape == (3, 3)
    assert meta.chunk_key_encoding == ChunkKeyEncoding("v2", "/")
    assert meta.chunk_key_encoding.encode_chunk_key((1, 2)) == "1/2"
    assert meta.dimension_names is None
    assert meta.stored_dtype == np.dtype(">i2")
    assert meta.dtype == np.dtype("<i2")
    assert meta.fill_value == 0 and meta.fill_value.dtype == meta.dtype
    assert meta.attributes == {"a": 1}
    resized = meta.update_shape((20, 1))
    assert resized.shape == (20, 1) and resized.chunk_grid_shape == (5, 1)
    assert meta.update_attributes({"b": 2}).attributes == {"b": 2}
    assert meta.shape == (10, 7) and meta.attributes == {"a": 1}
    assert meta == parse_array_metadata_v2(meta.to_zarray_json(), meta.to_zattrs_json())
    assert hash(meta) == hash(parse_array_metadata_v2(meta.to_zarray_json(), {"a": 1}))
    assert meta != meta.update_attributes({})
    zero_d = parse_array_metadata_v2(zarray(shape=[], chunks=[]))
    assert zero_d.chunk_key_encoding.encode_chunk_key(()) == "0"
    assert zero_d.chunk_grid_shape == ()


def test_construct_from_python_values() -> None:
    meta = ArrayMetadataV2(
        shape=[5], chunks=[2], stored_dtype="<U3", fill_value="ab", compressor=numcodecs.BZ2()
    )
    assert meta.compressor == {"id": "bz2", "level": 1}
    assert meta.fill_value == np.str_("ab")
    meta = ArrayMetadataV2(shape=(2,), chunks=(2,), stored_dtype=np.dtype("i8"), fill_value=3.0)
    assert meta.fill_value == 3 and meta.fill_value.dtype == np.dtype("i8")
    meta = ArrayMetadataV2(
        shape=(2,), chunks=(2,), stored_dtype=object, filters=[{"id": "vlen-utf8"}]
    )
    assert meta.data_type.name == "string"
    assert json.loads(meta.to_zarray_json())["dtype"] == "|O"
    nan_meta = ArrayMetadataV2(shape=(2,), chunks=(2,), stored_dtype="f8", fill_value=np.nan)
    assert nan_meta == ArrayMetadataV2(shape=(2,), chunks=(2,), stored_dtype="f8", fill_value="NaN")
    with pytest.raises(MetadataError):
        ArrayMetadataV2(shape=(2,), chunks=(2, 2), stored_dtype="i4")
    with pytest.raises(MetadataError):
        ArrayMetadataV2(shape=(2,), chunks=(2,), stored_dtype="i4", fill_value="x")
    with pytest.raises(MetadataError):
        ArrayMetadataV2(shape=(2,), chunks=(2,), stored_dtype="i4", order="K")  # type: ignore[arg-type]
    with pytest.raises(MetadataError):
        ArrayMetadataV2(
            shape=(2,),
            chunks=(2,),
            stored_dtype=np.dtype(
                {"names": ["a"], "formats": ["i4"], "offsets": [4], "itemsize": 8}
            ),
        )


# --------------------------------------------------------------------------------------
# validation errors
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"order": "K"}, "order"),
        ({"order": None}, "order"),
        ({"dimension_separator": "-"}, "dimension_separator"),
        ({"dimension_separator": ""}, "dimension_separator"),
        ({"zarr_format": 3}, "zarr_format"),
        ({"zarr_format": True}, "zarr_format"),
        ({"shape": [-1, 7]}, "shape"),
        ({"shape": "10"}, "shape"),
        ({"shape": [10.0, 7]}, "shape"),
        ({"chunks": [0, 3]}, "chunks"),
        ({"chunks": [4]}, "chunks"),
        ({"chunks": [True, 3]}, "chunks"),
        ({"compressor": "zlib"}, "compressor"),
        ({"compressor": {"level": 1}}, "compressor"),
        ({"filters": "delta"}, "filters"),
        ({"filters": [{"id": ""}]}, "filters"),
        ({"filters": [3]}, "filters"),
    ],
)
def test_invalid_fields_name_document_and_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(MetadataError) as info:
        parse_array_metadata_v2(zarray(**changes), path="g/a/.zarray")
    assert info.value.path == "g/a/.zarray"
    assert info.value.field == field
    assert "g/a/.zarray" in str(info.value)


@pytest.mark.parametrize("key", ["shape", "chunks", "dtype", "zarr_format"])
def test_missing_required_field(key: str) -> None:
    doc = zarray()
    del doc[key]
    with pytest.raises(MetadataError) as info:
        parse_array_metadata_v2(doc, path="a/.zarray")
    assert info.value.field == key


def test_lenient_reading() -> None:
    doc = zarray()
    for key in ("order", "filters", "dimension_separator", "compressor", "fill_value"):
        del doc[key]
    doc["unknown_key"] = 1
    meta = parse_array_metadata_v2(doc)
    assert (meta.order, meta.filters, meta.dimension_separator) == ("C", None, ".")
    assert meta.compressor is None and meta.fill_value is None
    assert "unknown_key" not in json.loads(meta.to_zarray_json())
    # An empty filter list is read as null, as by zarr-python.
    assert parse_array_metadata_v2(zarray(filters=[])).filters is None
    assert parse_array_metadata_v2(zarray(dimension_separator=None)).dimension_separator == "."


@pytest.mark.parametrize("doc", [b"not json", b"[1, 2]", b'{"a": 1, "a": 2}', b"\xff\xfe", "{", 42])
def test_bad_documents(doc: Any) -> None:
    with pytest.raises(MetadataError) as info:
        parse_array_metadata_v2(doc, path="d/.zarray")
    assert info.value.path == "d/.zarray"


def test_bad_attributes_name_the_zattrs_document() -> None:
    with pytest.raises(MetadataError) as info:
        parse_array_metadata_v2(zarray(), b"[1]", path="d/.zarray")
    assert info.value.path == "d/.zattrs"
    with pytest.raises(MetadataError) as info:
        parse_group_metadata_v2(b'{"zarr_format": 2}', b"nope", path="g/.zgroup")
    assert info.value.path == "g/.zattrs"
    with pytest.raises(TypeError):
        parse_array_metadata_v2(zarray(), {}, attributes={})


# --------------------------------------------------------------------------------------
# groups and consolidated metadata
# --------------------------------------------------------------------------------------
def test_group_round_trip_matches_zarr_python(tmp_path: Path) -> None:
    zarr.open_group(str(tmp_path), mode="w", zarr_format=2, attributes={"a": [1, 2], "b": None})
    zgroup = (tmp_path / ".zgroup").read_bytes()
    zattrs = (tmp_path / ".zattrs").read_bytes()
    meta = parse_group_metadata_v2(zgroup, zattrs, path=".zgroup")
    assert meta.attributes == {"a": [1, 2], "b": None}
    assert (meta.zarr_format, meta.node_type) == (2, "group")
    assert meta.to_zgroup_json() == zgroup
    assert meta.to_zattrs_json() == zattrs
    assert meta.to_buffer_dict() == {".zgroup": zgroup, ".zattrs": zattrs}
    assert meta.update_attributes({"c": 1}).attributes == {"c": 1}
    assert GroupMetadataV2().to_zattrs_json() == b"{}"
    # zarr-python puts a consolidated marker into member .zgroup documents; it is ignored.
    marker = {"zarr_format": 2, "consolidated_metadata": {"kind": "inline"}}
    assert parse_group_metadata_v2(marker).attributes == {}
    with pytest.raises(MetadataError) as info:
        parse_group_metadata_v2({"zarr_format": 3}, path="g/.zgroup")
    assert info.value.field == "zarr_format"


def test_consolidated_from_zarr_python(tmp_path: Path) -> None:
    g = zarr.open_group(str(tmp_path), mode="w", zarr_format=2, attributes={"top": 1})
    sub = g.create_group("sub", attributes={"s": True})
    sub.create_array("x", shape=(4,), dtype="i2", attributes={"u": "v"})
    g.create_array("y", shape=(2, 2), dtype=">f4", fill_value=np.nan)
    zarr.consolidate_metadata(str(tmp_path))
    nodes = parse_consolidated_v2((tmp_path / ".zmetadata").read_bytes(), path=".zmetadata")
    assert set(nodes) == {"", "sub", "sub/x", "y"}
    assert isinstance(nodes[""], GroupMetadataV2) and nodes[""].attributes == {"top": 1}
    assert isinstance(nodes["sub"], GroupMetadataV2) and nodes["sub"].attributes == {"s": True}
    x = nodes["sub/x"]
    assert isinstance(x, ArrayMetadataV2)
    assert x.shape == (4,) and x.stored_dtype == np.dtype("<i2") and x.attributes == {"u": "v"}
    y = nodes["y"]
    assert isinstance(y, ArrayMetadataV2)
    assert y.stored_dtype == np.dtype(">f4") and np.isnan(y.fill_value)
    for name in ("sub/x", "y"):
        assert nodes[name].to_zarray_json() == (tmp_path / name / ".zarray").read_bytes()


@pytest.mark.parametrize(
    ("metadata", "match"),
    [
        ({"../x/.zarray": {}}, "unsafe"),
        ({"a//b/.zgroup": {"zarr_format": 2}}, "unsafe"),
        ({"a/./.zgroup": {"zarr_format": 2}}, "unsafe"),
        ({"a/zarr.json": {}}, "not a .zarray"),
        ({"a/.zattrs": {}}, "no .zarray or .zgroup"),
        ({"a/.zgroup": {"zarr_format": 2}, "a/.zarray": json.loads(json.dumps(zarray()))}, "both"),
        ({"a/.zarray": zarray(order="X")}, "order"),
    ],
)
def test_consolidated_errors(metadata: dict[str, Any], match: str) -> None:
    doc = {"metadata": {".zgroup": {"zarr_format": 2}, **metadata}, "zarr_consolidated_format": 1}
    with pytest.raises(MetadataError, match=match):
        parse_consolidated_v2(json.dumps(doc).encode(), path="root/.zmetadata")


def test_consolidated_envelope_errors() -> None:
    with pytest.raises(MetadataError, match="zarr_consolidated_format"):
        parse_consolidated_v2({"metadata": {}, "zarr_consolidated_format": 2})
    with pytest.raises(MetadataError, match="metadata"):
        parse_consolidated_v2({"metadata": [], "zarr_consolidated_format": 1})


# --------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------
SIMPLE_TYPES = [t for t in TYPESTRINGS if t[1] in "biuf"]


@st.composite
def arrays_meta(draw: st.DrawFn) -> dict[str, Any]:
    ndim = draw(st.integers(0, 4))
    shape = draw(st.lists(st.integers(0, 50), min_size=ndim, max_size=ndim))
    chunks = draw(st.lists(st.integers(1, 20), min_size=ndim, max_size=ndim))
    typestr = draw(st.sampled_from(SIMPLE_TYPES))
    dtype = np.dtype(typestr)
    if dtype.kind == "b":
        fill: Any = draw(st.booleans())
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        fill = draw(st.integers(int(info.min), int(info.max)))
    else:
        value = draw(st.floats(width=8 * dtype.itemsize if dtype.itemsize < 8 else 64))
        fill = "NaN" if math.isnan(value) else value
        if math.isinf(value):
            fill = "Infinity" if value > 0 else "-Infinity"
    fill = draw(st.one_of(st.just(fill), st.none()))
    attrs = draw(
        st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=5)))
    )
    return {
        "doc": zarray(
            typestr,
            shape=shape,
            chunks=chunks,
            fill_value=fill,
            order=draw(st.sampled_from(["C", "F"])),
            dimension_separator=draw(st.sampled_from([".", "/"])),
            compressor=draw(st.sampled_from([None, {"id": "zlib", "level": 1}])),
        ),
        "attrs": attrs,
    }


@given(arrays_meta())
def test_metadata_json_round_trip(case: dict[str, Any]) -> None:
    raw = json.dumps(case["doc"], indent=2).encode()
    meta = parse_array_metadata_v2(raw, case["attrs"])
    assert meta.to_zarray_json() == raw
    again = parse_array_metadata_v2(meta.to_zarray_json(), meta.to_zattrs_json())
    assert again == meta
    assert json.loads(meta.to_zattrs_json()) == case["attrs"]
    ours = json.loads(meta.to_zarray_json())
    theirs = ArrayV2Metadata.from_dict({**case["doc"], "attributes": {}}).to_dict()
    theirs.pop("attributes")
    assert ours == json.loads(json.dumps(theirs, allow_nan=True))

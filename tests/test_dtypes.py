"""Tests of zarrc.dtypes: data type names, numpy mapping and fill value JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zarr.core.dtype import get_data_type_from_json

from zarrc.dtypes import (
    BoolDataType,
    ComplexDataType,
    DataType,
    FloatDataType,
    IntDataType,
    data_type_from_numpy,
    encode_fill_value,
    normalize_fill_value,
    parse_data_type,
    parse_fill_value,
    registered_data_type_names,
)
from zarrc.errors import MetadataError, ZarrcError

ALL_NAMES = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
)
INT_NAMES = [n for n in ALL_NAMES if "int" in n]
FLOAT_NAMES = ["float16", "float32", "float64"]
COMPLEX_NAMES = ["complex64", "complex128"]


def bits(value: np.generic) -> bytes:
    """The raw bytes of a scalar, to compare NaNs and signed zeros exactly."""
    return np.asarray(value).tobytes()


def same(a: np.generic, b: np.generic) -> bool:
    return a.dtype == b.dtype and bits(a) == bits(b)


def from_bits(pattern: int, dtype: str) -> np.generic:
    dt = np.dtype(dtype)
    return np.array(pattern, dtype=f"u{dt.itemsize}").view(dt)[()]


def zarr_python_dtype(name: str):
    return get_data_type_from_json(name, zarr_format=3)


# ---------------------------------------------------------------------------------------
# data type names
# ---------------------------------------------------------------------------------------
def test_registered_names() -> None:
    assert set(ALL_NAMES) <= set(registered_data_type_names())


@pytest.mark.parametrize("name", ALL_NAMES)
def test_parse_data_type(name: str) -> None:
    dt = parse_data_type(name)
    assert isinstance(dt, DataType)
    assert dt.name == name
    assert dt.dtype == np.dtype(name)
    assert dt.dtype.isnative
    assert dt.itemsize == np.dtype(name).itemsize
    assert dt.to_json() == name
    # The object form without configuration names the same type.
    assert parse_data_type({"name": name}) == dt
    assert parse_data_type({"name": name, "configuration": {}}) == dt
    # Same dtype as zarr-python's data type of that name.
    assert zarr_python_dtype(name).to_native_dtype().newbyteorder("=") == dt.dtype


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("bool", BoolDataType),
        ("int8", IntDataType),
        ("uint64", IntDataType),
        ("float16", FloatDataType),
        ("complex128", ComplexDataType),
    ],
)
def test_data_type_family(name: str, family: type) -> None:
    assert type(parse_data_type(name)) is family


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("int128", "unknown data type 'int128'"),
        ("Int16", "unknown data type"),
        ("<i2", "unknown data type"),
        ("", "unknown data type"),
        (16, "must be a string or an object"),
        (None, "must be a string or an object"),
        (["int16"], "must be a string or an object"),
        ({"configuration": {}}, "'name'"),
        ({"name": 3}, "'name'"),
        ({"name": "int16", "extra": 1}, "'name'"),
        ({"name": "int16", "configuration": []}, "configuration must be an object"),
        ({"name": "int16", "configuration": {"endian": "big"}}, "takes no configuration"),
    ],
)
def test_parse_data_type_errors(value: object, fragment: str) -> None:
    with pytest.raises(MetadataError) as info:
        parse_data_type(value, path="x/zarr.json")
    assert info.value.field == "data_type"
    assert info.value.path == "x/zarr.json"
    assert fragment in str(info.value)


# ---------------------------------------------------------------------------------------
# from numpy
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dtype_like", "name"),
    [
        (np.dtype("int16"), "int16"),
        (np.dtype(">i2"), "int16"),
        ("<i2", "int16"),
        (">f8", "float64"),
        ("float64", "float64"),
        ("uint8", "uint8"),
        ("u8", "uint64"),
        ("|b1", "bool"),
        ("?", "bool"),
        ("e", "float16"),
        (">c8", "complex64"),
        ("<c16", "complex128"),
        (np.float32, "float32"),
        (np.int64, "int64"),
        (np.bool_, "bool"),
        (np.complex128, "complex128"),
        (bool, "bool"),
        (int, "int64"),
        (float, "float64"),
        (complex, "complex128"),
    ],
)
def test_data_type_from_numpy(dtype_like: object, name: str) -> None:
    dt = data_type_from_numpy(dtype_like)
    assert dt == parse_data_type(name)
    assert dt.dtype.isnative


def test_data_type_from_numpy_passes_through_and_accepts_zarr_python_types() -> None:
    dt = parse_data_type("uint32")
    assert data_type_from_numpy(dt) is dt
    assert data_type_from_numpy(zarr_python_dtype("float16")) == parse_data_type("float16")


@pytest.mark.parametrize(
    "dtype_like",
    [object, "O", "f16", "c32", "(2,)i4", "U", "S", "V", None, 5, "no-such-type"],
)
def test_data_type_from_numpy_unsupported(dtype_like: object) -> None:
    with pytest.raises(ValueError) as info:
        data_type_from_numpy(dtype_like)
    assert isinstance(info.value, ZarrcError)
    assert "data type" in str(info.value)


def test_data_types_are_hashable_and_compare_by_value() -> None:
    assert parse_data_type("int8") == data_type_from_numpy("i1")
    assert len({parse_data_type(n) for n in ALL_NAMES}) == len(ALL_NAMES)
    assert repr(parse_data_type("int8")) == "DataType('int8')"


# ---------------------------------------------------------------------------------------
# parse_fill_value
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "json_value", "expected"),
    [
        ("bool", True, np.bool_(True)),
        ("bool", False, np.bool_(False)),
        ("int8", -128, np.int8(-128)),
        ("int8", 127, np.int8(127)),
        ("uint8", 255, np.uint8(255)),
        ("int16", 5.0, np.int16(5)),
        ("int64", -(2**63), np.int64(-(2**63))),
        ("uint64", 2**64 - 1, np.uint64(2**64 - 1)),
        ("float32", 1.5, np.float32(1.5)),
        ("float32", 3, np.float32(3)),
        ("float64", 0.1, np.float64(0.1)),
        ("float64", -0.0, np.float64(-0.0)),
        ("float16", 65504.0, np.float16(65504)),
        ("float64", "Infinity", np.float64(np.inf)),
        ("float32", "-Infinity", np.float32(-np.inf)),
        ("float16", "NaN", from_bits(0x7E00, "f2")),
        ("float32", "NaN", from_bits(0x7FC00000, "f4")),
        ("float64", "NaN", from_bits(0x7FF8000000000000, "f8")),
        ("float32", "0x7fc00001", from_bits(0x7FC00001, "f4")),
        ("float32", "0x7FA00000", from_bits(0x7FA00000, "f4")),  # signalling NaN kept
        ("float32", "0xffc00000", from_bits(0xFFC00000, "f4")),
        ("float32", "0x3f800000", np.float32(1.0)),
        ("float64", "0x8000000000000000", np.float64(-0.0)),
        ("float16", "0x3c00", np.float16(1.0)),
        ("float64", "0x3f800000", np.float64(1.0)),  # a float32 pattern: its value
        ("float64", float("nan"), from_bits(0x7FF8000000000000, "f8")),  # NaN literal
        ("complex64", [1.0, 2.0], np.complex64(1 + 2j)),
        ("complex128", [0, -1], np.complex128(complex(0, -1))),
    ],
)
def test_parse_fill_value(name: str, json_value: object, expected: np.generic) -> None:
    dt = parse_data_type(name)
    value = parse_fill_value(json_value, dt)
    assert type(value) is type(expected)
    assert same(value, expected)


def test_parse_complex_fill_value_special_components() -> None:
    dt = parse_data_type("complex64")
    value = parse_fill_value(["NaN", "0x7fc00001"], dt)
    parts = np.asarray(value).reshape(1).view("u4")
    assert [int(p) for p in parts] == [0x7FC00000, 0x7FC00001]
    value = parse_fill_value(["Infinity", -0.0], parse_data_type("complex128"))
    assert value.real == np.inf and math.copysign(1, value.imag) == -1


@pytest.mark.parametrize(
    ("name", "json_value", "fragment"),
    [
        ("bool", 0, "true or false"),
        ("bool", "true", "true or false"),
        ("bool", None, "true or false"),
        ("int8", 128, "out of range"),
        ("int8", -129, "out of range"),
        ("uint8", -1, "out of range"),
        ("uint64", 2**64, "out of range"),
        ("int64", 2**63, "out of range"),
        ("int16", True, "expected an integer"),
        ("int16", 1.5, "expected an integer"),
        ("int16", "3", "expected an integer"),
        ("int16", "NaN", "expected an integer"),
        ("int16", float("inf"), "expected an integer"),
        ("int32", [1], "expected an integer"),
        ("float32", True, "hex string"),
        ("float32", "nan", "hex string"),
        ("float32", "1.5", "hex string"),
        ("float32", "0x", "hex string"),
        ("float32", "0x7fc0000g", "hex string"),
        ("float32", "0x7fc000", "8 hex digits"),
        ("float32", "0x7fc0000000", "8 hex digits"),
        ("float32", 1e39, "out of range"),
        ("float16", 70000, "out of range"),
        ("float64", 10**400, "out of range"),
        ("float64", None, "hex string"),
        ("float64", [1.0, 0.0], "hex string"),
        ("complex64", 1.0, "[real, imag]"),
        ("complex64", [1.0], "[real, imag]"),
        ("complex64", "NaN", "[real, imag]"),
        ("complex64", [1.0, "x"], "hex string"),
        ("complex64", [1e39, 0], "out of range"),
    ],
)
def test_parse_fill_value_errors(name: str, json_value: object, fragment: str) -> None:
    with pytest.raises(MetadataError) as info:
        parse_fill_value(json_value, parse_data_type(name), path="a/zarr.json")
    assert info.value.field == "fill_value"
    assert info.value.path == "a/zarr.json"
    assert fragment in str(info.value)


# ---------------------------------------------------------------------------------------
# encode_fill_value
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("bool", np.bool_(True), True),
        ("int8", np.int8(-5), -5),
        ("uint64", np.uint64(2**64 - 1), 2**64 - 1),
        ("float32", np.float32(0.1), float(np.float32(0.1))),
        ("float64", np.float64(-0.0), -0.0),
        ("float16", np.float16(np.nan), "NaN"),
        ("float64", np.float64(np.inf), "Infinity"),
        ("float32", np.float32(-np.inf), "-Infinity"),
        ("float32", from_bits(0x7FC00001, "f4"), "0x7fc00001"),
        ("float32", from_bits(0xFFC00000, "f4"), "0xffc00000"),
        ("float16", from_bits(0x7E01, "f2"), "0x7e01"),
        ("float64", from_bits(0x7FF0000000000001, "f8"), "0x7ff0000000000001"),
        ("complex64", np.complex64(1 + 2j), [1.0, 2.0]),
        ("complex128", np.complex128(complex(np.nan, -np.inf)), ["NaN", "-Infinity"]),
    ],
)
def test_encode_fill_value(name: str, value: np.generic, expected: object) -> None:
    encoded = encode_fill_value(value, parse_data_type(name))
    assert encoded == expected
    assert type(encoded) is type(expected)
    if isinstance(expected, float):
        assert math.copysign(1, encoded) == math.copysign(1, expected)


ORACLE_VALUES = {
    "bool": [True, False],
    "int8": [-128, 0, 127],
    "int16": [-(2**15), 12345],
    "int32": [-(2**31), 2**31 - 1],
    "int64": [-(2**63), 2**63 - 1],
    "uint8": [0, 255],
    "uint16": [65535],
    "uint32": [2**32 - 1],
    "uint64": [0, 2**64 - 1],
    "float16": [0.0, -0.0, 1.5, 65504.0, np.inf, -np.inf, np.nan, 6e-8],
    "float32": [0.0, -0.0, 0.1, 3.4e38, np.inf, -np.inf, np.nan, 1e-45],
    "float64": [0.0, -0.0, 0.1, 1.7976931348623157e308, np.inf, -np.inf, np.nan, 5e-324],
    "complex64": [0j, 1 + 2j, complex(np.nan, np.inf), complex(-0.0, 0.1)],
    "complex128": [0j, 1e300 - 1e-300j, complex(np.inf, np.nan)],
}


@pytest.mark.parametrize("name", ALL_NAMES)
def test_encode_matches_zarr_python(name: str) -> None:
    """For values zarr-python can write exactly, our JSON is the same as its JSON."""
    dt = parse_data_type(name)
    zdt = zarr_python_dtype(name)
    for raw in ORACLE_VALUES[name]:
        ours_value = normalize_fill_value(raw, dt)
        theirs_value = zdt.cast_scalar(raw)
        assert bits(ours_value) == bits(theirs_value.astype(dt.dtype))
        ours = encode_fill_value(ours_value, dt)
        theirs = zdt.to_json_scalar(theirs_value, zarr_format=3)
        assert json.dumps(ours) == json.dumps(theirs)
        # And zarr-python reads our JSON back to the same bits.
        back = zdt.from_json_scalar(json.loads(json.dumps(ours)), zarr_format=3)
        assert bits(np.asarray(back, dtype=dt.dtype)) == bits(ours_value)


# ---------------------------------------------------------------------------------------
# round trips (hypothesis)
# ---------------------------------------------------------------------------------------
def _bit_patterns(dtype: np.dtype) -> st.SearchStrategy[np.generic]:
    """Every bit pattern of a float/complex dtype: NaN payloads, infinities, zeros."""
    n = dtype.itemsize
    return st.integers(0, 2 ** (8 * n) - 1).map(
        lambda v: np.frombuffer(v.to_bytes(n, "little"), dtype=dtype.newbyteorder("<")).astype(
            dtype
        )[0]
    )


def _special_floats(dtype: np.dtype) -> st.SearchStrategy[np.generic]:
    return st.sampled_from([0.0, -0.0, np.inf, -np.inf, np.nan]).map(dtype.type)


def values_of(name: str) -> st.SearchStrategy[np.generic]:
    dt = np.dtype(name)
    if dt.kind == "b":
        return st.booleans().map(np.bool_)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return st.integers(int(info.min), int(info.max)).map(dt.type)
    return st.one_of(_bit_patterns(dt), _special_floats(dt))


@pytest.mark.parametrize("name", ALL_NAMES)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_fill_value_json_round_trip(name: str, data: st.DataObject) -> None:
    dt = parse_data_type(name)
    value = data.draw(values_of(name))
    encoded = encode_fill_value(value, dt)
    # Through real JSON text, as it would be written to zarr.json.
    text = json.dumps(encoded, allow_nan=False)
    back = parse_fill_value(json.loads(text), dt)
    assert back.dtype == dt.dtype
    assert bits(back) == bits(value)
    # A value zarr-python would also write as a number, we write the same way.
    if dt.dtype.kind in "biu":
        assert encoded == value.item()


def _is_quiet_or_not_nan(value: np.generic) -> bool:
    arr = np.asarray(value)
    comps = arr.reshape(1).view(f"f{arr.itemsize // 2}") if arr.dtype.kind == "c" else [value]
    for comp in comps:
        if np.isnan(comp):
            n = comp.dtype.itemsize
            pattern = int(np.asarray(comp).view(f"u{n}"))
            quiet_bit = {2: 1 << 9, 4: 1 << 22, 8: 1 << 51}[n]
            if not pattern & quiet_bit:
                return False
    return True


@pytest.mark.parametrize("name", ["float32", "float64", "complex64", "complex128"])
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_zarr_python_reads_our_fill_values_bit_exactly(name: str, data: st.DataObject) -> None:
    """zarr-python goes through Python floats, which keep quiet-NaN payloads and signs."""
    dt = parse_data_type(name)
    value = data.draw(values_of(name).filter(_is_quiet_or_not_nan))
    encoded = json.loads(json.dumps(encode_fill_value(value, dt)))
    theirs = zarr_python_dtype(name).from_json_scalar(encoded, zarr_format=3)
    assert bits(np.asarray(theirs, dtype=dt.dtype)) == bits(value)


# ---------------------------------------------------------------------------------------
# normalize_fill_value
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL_NAMES)
def test_default_fill_value_is_zero(name: str) -> None:
    dt = parse_data_type(name)
    value = normalize_fill_value(None, dt)
    assert value.dtype == dt.dtype
    assert bits(value) == bytes(dt.itemsize)
    # zarr-python's default for v3 is the same.
    assert bits(zarr_python_dtype(name).default_scalar()) == bits(value)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("bool", True, np.bool_(True)),
        ("bool", 0, np.bool_(False)),
        ("bool", 1.0, np.bool_(True)),
        ("bool", np.bool_(False), np.bool_(False)),
        ("int8", np.int64(-3), np.int8(-3)),
        ("int16", 7.0, np.int16(7)),
        ("int16", True, np.int16(1)),
        ("int16", "12", np.int16(12)),
        ("uint64", 2**64 - 1, np.uint64(2**64 - 1)),
        ("uint8", np.array(9), np.uint8(9)),
        ("float32", 0.1, np.float32(0.1)),
        ("float32", "nan", np.float32(np.nan)),
        ("float32", "NaN", np.float32(np.nan)),
        ("float32", "-inf", np.float32(-np.inf)),
        ("float32", "0x7fc00001", from_bits(0x7FC00001, "f4")),
        ("float64", np.float32(1.5), np.float64(1.5)),
        ("float64", 3, np.float64(3)),
        ("float16", -0.0, np.float16(-0.0)),
        ("complex64", 1 + 2j, np.complex64(1 + 2j)),
        ("complex64", 3, np.complex64(3)),
        ("complex64", [1, "NaN"], np.complex64(complex(1, np.nan))),
        ("complex128", (0.5, -0.0), np.complex128(complex(0.5, -0.0))),
        ("complex128", np.complex64(2 - 1j), np.complex128(2 - 1j)),
        ("complex128", "1+2j", np.complex128(1 + 2j)),
    ],
)
def test_normalize_fill_value(name: str, value: object, expected: np.generic) -> None:
    dt = parse_data_type(name)
    result = normalize_fill_value(value, dt)
    assert isinstance(result, np.generic)
    assert result.dtype == dt.dtype
    assert same(result, expected.astype(dt.dtype))


def test_normalize_fill_value_keeps_nan_payload_of_numpy_scalar() -> None:
    dt = parse_data_type("float32")
    value = from_bits(0x7FA00001, "f4")
    assert bits(normalize_fill_value(value, dt)) == bits(value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("bool", 2),
        ("bool", "yes"),
        ("bool", 0.5),
        ("int8", 128),
        ("int8", 1.5),
        ("uint8", -1),
        ("uint16", float("nan")),
        ("int32", "1.5"),
        ("int32", 1j),
        ("int32", [1]),
        ("float16", 1e5),
        ("float32", np.float64(1e300)),
        ("float32", "hello"),
        ("float32", 1 + 1j),
        ("float64", object()),
        ("complex64", [1, 2, 3]),
        ("complex64", "x"),
        ("complex64", np.complex128(1e300)),
        ("int16", np.zeros(3)),
    ],
)
def test_normalize_fill_value_errors(name: str, value: object) -> None:
    with pytest.raises(ValueError) as info:
        normalize_fill_value(value, parse_data_type(name))
    assert isinstance(info.value, ZarrcError)


def test_plain_data_type_delegates_to_its_family() -> None:
    plain = DataType("float32", np.dtype(">f4"))
    assert plain.dtype == np.dtype("float32") and plain.dtype.isnative
    assert plain == parse_data_type("float32")
    assert hash(plain) == hash(parse_data_type("float32"))
    nan = parse_fill_value("0x7fc00001", plain)
    assert encode_fill_value(nan, plain) == "0x7fc00001"
    assert normalize_fill_value(None, plain) == np.float32(0)
    assert normalize_fill_value(2, plain) == np.float32(2)
    with pytest.raises(MetadataError):
        parse_fill_value(True, plain)
    unknown = DataType("float8", np.dtype("u1"))
    assert unknown != parse_data_type("uint8")
    with pytest.raises(ZarrcError):
        normalize_fill_value(1, unknown)
    with pytest.raises(ZarrcError):
        parse_fill_value(1, DataType("float32", np.dtype("f8")))

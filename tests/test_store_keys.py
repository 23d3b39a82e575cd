"""Key validation, byte-range request types and range clamping."""

from __future__ import annotations

import dataclasses
import pickle
import posixpath

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zarrc.errors import InvalidKeyError
from zarrc.storage import (
    OffsetByteRequest,
    RangeByteRequest,
    SuffixByteRequest,
    resolve_byte_range,
    validate_key,
    validate_prefix,
)
from zarrc.storage._base import as_byte_view
from zarrc.testing.store_conformance import SAFE_KEYS, UNSAFE_KEYS, UNSAFE_PREFIXES


# -- validate_key ---------------------------------------------------------------------------
@pytest.mark.parametrize("key", [k for _, k in SAFE_KEYS], ids=[n for n, _ in SAFE_KEYS])
def test_safe_keys_returned_unchanged(key: str) -> None:
    assert validate_key(key) is key


@pytest.mark.parametrize("key", [k for _, k in UNSAFE_KEYS], ids=[n for n, _ in UNSAFE_KEYS])
def test_unsafe_keys_rejected(key: object) -> None:
    with pytest.raises(InvalidKeyError) as info:
        validate_key(key)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert repr(key) in str(info.value)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "empty"),
        ("/a", "starts with '/'"),
        ("a/", "ends with '/'"),
        ("a//b", "empty path segment"),
        ("a/./b", "'.' path segment"),
        ("x/../y", "'..' path segment"),
        ("a\\b", "backslash"),
        ("a\x00", "control"),
        ("a\x1bb", "control"),
        ("C:", "drive letter"),
        ("c:/x", "drive letter"),
        ("a/z:b", "drive letter"),
        (b"a", "must be str"),
    ],
)
def test_rejection_names_the_reason(key: object, reason: str) -> None:
    with pytest.raises(InvalidKeyError, match=reason):
        validate_key(key)  # type: ignore[arg-type]


def test_str_subclass_accepted() -> None:
    class Key(str):
        pass

    assert validate_key(Key("a/b")) == "a/b"


# -- validate_prefix ----------------------------------------------------------------------
@pytest.mark.parametrize("prefix", ["", "a", "a/", "a/b", "a/b/", ".zgroup", "ünï/", "a.b/c"])
def test_valid_prefixes(prefix: str) -> None:
    assert validate_prefix(prefix) is prefix


@pytest.mark.parametrize(
    "prefix", [p for _, p in UNSAFE_PREFIXES], ids=[n for n, _ in UNSAFE_PREFIXES]
)
def test_unsafe_prefixes_rejected(prefix: object) -> None:
    with pytest.raises(InvalidKeyError, match="invalid store prefix"):
        validate_prefix(prefix)  # type: ignore[arg-type]


def test_prefix_is_not_a_key() -> None:
    with pytest.raises(InvalidKeyError):
        validate_key("a/")
    with pytest.raises(InvalidKeyError):
        validate_key("")


# -- properties ---------------------------------------------------------------------------
_KEYISH = st.lists(
    st.sampled_from(list("ab./\\:C\x00\n é") + ["..", "数", "/../", "c:"]), max_size=12
).map("".join)


@given(_KEYISH)
def test_accepted_keys_stay_under_any_root(key: str) -> None:
    try:
        validate_key(key)
    except InvalidKeyError:
        return
    joined = posixpath.normpath(posixpath.join("/root/store", key))
    assert joined.startswith("/root/store/")
    assert joined == "/root/store/" + key  # nothing for the OS to normalise away
    segments = key.split("/")
    assert all(s and s not in (".", "..") for s in segments)
    assert not any(c in key for c in "\\\x00\n")


@given(st.lists(st.sampled_from(["a", "b.c", ".zarray", "é", "0"]), min_size=1, max_size=5))
def test_joined_safe_segments_accepted(segments: list[str]) -> None:
    key = "/".join(segments)
    assert validate_key(key) == key
    assert validate_prefix(key + "/") == key + "/"


# -- byte-range request types -----------------------------------------------------------------
def test_request_types_are_frozen_dataclasses() -> None:
    for request in (RangeByteRequest(1, 2), OffsetByteRequest(3), SuffixByteRequest(4)):
        assert dataclasses.is_dataclass(request)
        field = dataclasses.fields(request)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(request, field, 9)
        assert pickle.loads(pickle.dumps(request)) == request
        assert hash(request) == hash(pickle.loads(pickle.dumps(request)))
    assert RangeByteRequest(1, 2) == RangeByteRequest(start=1, end=2)
    assert RangeByteRequest(1, 2) != RangeByteRequest(1, 3)
    assert OffsetByteRequest(3) != SuffixByteRequest(3)


@pytest.mark.parametrize(
    "make",
    [
        lambda: RangeByteRequest(-1, 2),
        lambda: RangeByteRequest(0, -1),
        lambda: RangeByteRequest(5, 4),
        lambda: OffsetByteRequest(-1),
        lambda: SuffixByteRequest(-3),
    ],
)
def test_negative_or_reversed_requests_are_value_errors(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    "make",
    [
        lambda: RangeByteRequest(0.0, 2),
        lambda: RangeByteRequest(0, "2"),
        lambda: OffsetByteRequest(None),
        lambda: SuffixByteRequest(True),
    ],
)
def test_non_integer_requests_are_type_errors(make: object) -> None:
    with pytest.raises(TypeError):
        make()  # type: ignore[operator]


def test_numpy_integers_become_ints() -> None:
    request = RangeByteRequest(np.int64(2), np.uint32(5))
    assert request == RangeByteRequest(2, 5)
    assert type(request.start) is int and type(request.end) is int
    assert type(SuffixByteRequest(np.int8(3)).suffix) is int


@given(
    data=st.binary(max_size=40),
    a=st.integers(0, 60),
    b=st.integers(0, 60),
    kind=st.sampled_from(["range", "offset", "suffix", "none"]),
)
def test_resolve_byte_range_matches_file_read_semantics(
    data: bytes, a: int, b: int, kind: str
) -> None:
    size = len(data)
    if kind == "range":
        request = RangeByteRequest(min(a, b), max(a, b))
        expected = data[min(a, b) : max(a, b)]
    elif kind == "offset":
        request, expected = OffsetByteRequest(a), data[a:]
    elif kind == "suffix":
        request, expected = SuffixByteRequest(a), data[max(size - a, 0) :]
    else:
        request, expected = None, data
    start, stop = resolve_byte_range(request, size)
    assert 0 <= start <= stop <= size
    assert data[start:stop] == expected


def test_resolve_byte_range_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        resolve_byte_range((0, 1), 10)  # type: ignore[arg-type]


# -- values -------------------------------------------------------------------------------
def test_as_byte_view_flattens_any_buffer() -> None:
    arr = np.arange(6, dtype="<u2").reshape(2, 3)
    assert as_byte_view(arr).tobytes() == arr.tobytes()
    assert as_byte_view(arr.T).tobytes() == np.ascontiguousarray(arr.T).tobytes()
    view = as_byte_view(b"abc")
    assert (view.format, view.ndim, view.nbytes) == ("B", 1, 3)
    with pytest.raises(TypeError, match="str"):
        as_byte_view("abc")
    with pytest.raises(TypeError):
        as_byte_view(3)

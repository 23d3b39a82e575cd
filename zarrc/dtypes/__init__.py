"""Zarr data types: names, numpy dtypes and fill-value (de)serialisation.

A :class:`DataType` pairs the Zarr v3 JSON form of a data type (``"int16"``,
``{"name": "numpy.datetime64", "configuration": {...}}``) with the numpy dtype
used in memory, always in native byte order: in Zarr v3 the byte order of
stored chunks belongs to the ``bytes`` codec, not the type.

Each family of types is a subclass of :class:`DataType` that knows how to read
and write its fill values.  Families register themselves in a registry keyed
by their JSON names (:func:`register_data_type`); importing this module
registers the built-in ones:

==========================================  ===============================
JSON name                                   numpy dtype
==========================================  ===============================
``bool``, ``int8`` ... ``uint64``,          ``?``, ``i1`` ... ``u8``,
``float16/32/64``, ``complex64/128``        ``f2/f4/f8``, ``c8/c16``
``numpy.datetime64``, ``numpy.timedelta64`` ``M8[<scale><unit>]``, ``m8[...]``
``null_terminated_bytes``                   ``S<n>``
``fixed_length_utf32``                      ``U<n>``
``raw_bytes``, ``r<bits>``                  ``V<n>``
``struct`` (legacy ``structured``)          structured (packed) dtypes
``string``                                  ``StringDType`` (object on numpy 1)
``variable_length_bytes`` (``bytes``)       object
==========================================  ===============================
"""

from __future__ import annotations

from zarrc.dtypes.base import (
    OBJECT_CODEC_IDS,
    DataType,
    data_type_from_numpy,
    encode_fill_value,
    normalize_fill_value,
    parse_data_type,
    parse_fill_value,
    register_data_type,
    registered_data_type_names,
)
from zarrc.dtypes.bytes import (
    FixedLengthUTF32DataType,
    NullTerminatedBytesDataType,
    RawBytesDataType,
)
from zarrc.dtypes.numeric import BoolDataType, ComplexDataType, FloatDataType, IntDataType
from zarrc.dtypes.struct import StructDataType
from zarrc.dtypes.time import TimeDataType
from zarrc.dtypes.vlen import STRING_DTYPE, StringDataType, VariableLengthBytesDataType

__all__ = [
    "OBJECT_CODEC_IDS",
    "STRING_DTYPE",
    "BoolDataType",
    "ComplexDataType",
    "DataType",
    "FixedLengthUTF32DataType",
    "FloatDataType",
    "IntDataType",
    "NullTerminatedBytesDataType",
    "RawBytesDataType",
    "StringDataType",
    "StructDataType",
    "TimeDataType",
    "VariableLengthBytesDataType",
    "data_type_from_numpy",
    "encode_fill_value",
    "normalize_fill_value",
    "parse_data_type",
    "parse_fill_value",
    "register_data_type",
    "registered_data_type_names",
]

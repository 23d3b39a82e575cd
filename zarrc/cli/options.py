"""Parsing the CLI's option values: shapes, sizes, codecs, storage options, targets."""

from __future__ import annotations

import json
import re
from typing import Any

from zarrc.codecs import BloscCodec, GzipCodec, ZstdCodec, codec_from_dict
from zarrc.codecs._base import Codec
from zarrc.hierarchy.copy import KEEP
from zarrc.storage import Store, make_store

__all__ = [
    "parse_codecs_option",
    "parse_shape",
    "parse_size",
    "parse_storage_options",
    "resolve_target",
]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int:
    """``"256M"``, ``"1GiB"``, ``"65536"`` -> bytes (binary units)."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"not a size: {text!r} (examples: 65536, 256M, 1GiB)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def parse_shape(text: str | None, *, allow_none: bool = False) -> Any:
    """``"64"`` -> 64 (every dimension), ``"64,32,32"`` -> (64, 32, 32); ``"none"`` -> None
    where allowed; missing -> :data:`KEEP`."""
    if text is None:
        return KEEP
    if allow_none and text.strip().lower() == "none":
        return None
    parts = [p.strip() for p in text.replace("x", ",").split(",") if p.strip()]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"not a shape: {text!r} (examples: 64, 64,64,32)") from None
    if not values or any(v < 1 for v in values):
        raise ValueError(f"not a shape: {text!r}: sizes must be positive")
    return values[0] if len(values) == 1 else tuple(values)


def _one_codec(spec: str) -> Codec:
    name, *args = spec.split(":")
    name = name.strip().lower()
    if name == "zstd":
        return ZstdCodec(level=int(args[0]) if args else 1)
    if name == "gzip":
        return GzipCodec(level=int(args[0]) if args else 5)
    if name == "blosc":
        kwargs: dict[str, Any] = {}
        if args:
            kwargs["cname"] = args[0]
        if len(args) > 1:
            kwargs["clevel"] = int(args[1])
        if len(args) > 2:
            kwargs["shuffle"] = args[2]
        return BloscCodec(**kwargs)
    raise ValueError(
        f"unknown compressor {spec!r}: use zstd[:LEVEL], gzip[:LEVEL], "
        "blosc[:CNAME[:CLEVEL[:SHUFFLE]]], none, or a JSON list of codecs"
    )


def parse_codecs_option(text: str | None) -> Any:
    """``--compressors``: ``none``, ``zstd:3``, ``blosc:lz4:5:shuffle``, a comma-separated
    list of those, or a JSON list of codec objects; missing -> :data:`KEEP`."""
    if text is None:
        return KEEP
    text = text.strip()
    if text.lower() == "none":
        return None
    if text.startswith("["):
        return [codec_from_dict(entry) for entry in json.loads(text)]
    return [_one_codec(part) for part in text.split(",") if part.strip()]


def parse_storage_options(pairs: list[str] | None) -> dict[str, Any] | None:
    """``["anon=true", "endpoint_url=http://..."]`` -> a dict (JSON values parsed)."""
    if not pairs:
        return None
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--storage-option needs KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    if "endpoint_url" in out:
        # s3fs takes the endpoint inside client_kwargs
        out.setdefault("client_kwargs", {})["endpoint_url"] = out.pop("endpoint_url")
    return out


def _is_url(target: str) -> bool:
    return "://" in target or "::" in target


def resolve_target(
    target: str, path: str | None, *, mode: str, storage_options: dict[str, Any] | None
) -> tuple[Store, str]:
    """The store of a CLI target (a local path, a zip archive or a URL) and the node
    path inside it (``--path``; default the store's root)."""
    options = storage_options if _is_url(target) and not target.startswith("file://") else None
    store = make_store(target, mode=mode, storage_options=options)
    return store, (path or "").strip("/")

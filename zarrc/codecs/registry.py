"""The codec registry: JSON ``name`` -> codec class.

Built-in codecs register themselves when their module is imported.  Other
packages add codecs through the ``zarrc.codecs`` entry-point group, e.g. in
``pyproject.toml``::

    [project.entry-points."zarrc.codecs"]
    mycodec = "mypackage.codecs:MyCodec"

Entry points are only listed when a name is not already registered, and a
codec's module is only imported when its name is first looked up.
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

from zarrc.codecs._base import Codec, with_path
from zarrc.errors import MetadataError, UnknownCodecError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = [
    "ENTRY_POINT_GROUP",
    "codec_from_dict",
    "get_codec_class",
    "register_codec",
    "registered_codecs",
]

#: The entry-point group third-party packages use to add codecs.
ENTRY_POINT_GROUP = "zarrc.codecs"

# Codecs that live outside this package and are imported on first use, so that
# importing ``zarrc.codecs`` does not pull in (or circularly import) them.
_LAZY_BUILTINS: dict[str, str] = {
    "sharding_indexed": "zarrc.codecs.sharding.codec:ShardingCodec",
}

_lock = threading.RLock()
_registry: dict[str, type[Codec]] = {}
_entry_points: dict[str, EntryPoint] | None = None


def register_codec(name: str, cls: type[Codec]) -> None:
    """Register ``cls`` as the codec class for the JSON name ``name``.

    A later registration under the same name replaces the earlier one.

    Parameters
    ----------
    name : str
        The codec's ``name`` in array metadata.
    cls : type[Codec]
        A subclass of :class:`zarrc.codecs.Codec`.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"a codec name must be a non-empty string, got {name!r}")
    if not (isinstance(cls, type) and issubclass(cls, Codec)):
        raise TypeError(f"{cls!r} is not a subclass of zarrc.codecs.Codec")
    with _lock:
        _registry[name] = cls


def registered_codecs() -> dict[str, type[Codec]]:
    """The codecs registered so far (entry points not yet looked up are not listed)."""
    with _lock:
        return dict(_registry)


def _scan_entry_points(refresh: bool) -> dict[str, EntryPoint]:
    global _entry_points
    if _entry_points is None or refresh:
        if refresh:
            # A distribution installed since the last scan may sit behind stale
            # directory caches of the import system.
            importlib.invalidate_caches()
        # imported here: scanning installed distributions is only needed for a codec
        # name that no imported module registered (keeps ``import zarrc`` fast)
        from importlib.metadata import entry_points

        _entry_points = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return _entry_points


def _load(name: str, target: str, path: str | None) -> type[Codec]:
    """Import ``module:attribute`` and check it is a codec class."""
    module_name, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except Exception as err:
        raise UnknownCodecError(
            f"codec {name!r} could not be loaded from {target!r}: {err}",
            path=path,
            field="codecs",
        ) from err
    if not (isinstance(obj, type) and issubclass(obj, Codec)):
        raise UnknownCodecError(
            f"codec {name!r} from {target!r} is not a zarrc.codecs.Codec subclass",
            path=path,
            field="codecs",
        )
    return obj


def get_codec_class(name: str, *, path: str | None = None) -> type[Codec]:
    """The codec class registered under ``name``.

    Looks at registered codecs first, then at the ``zarrc.codecs`` entry points.

    Parameters
    ----------
    name : str
        The codec's JSON ``name``.
    path : str, optional
        The metadata document being read, for error messages.

    Raises
    ------
    UnknownCodecError
        If no codec of that name is known (or its entry point fails to load).
    """
    with _lock:
        cls = _registry.get(name)
        if cls is not None:
            return cls
        target = _LAZY_BUILTINS.get(name)
        if target is None:
            ep = _scan_entry_points(refresh=False).get(name)
            if ep is None:
                ep = _scan_entry_points(refresh=True).get(name)
            if ep is not None:
                target = ep.value
    if target is None:
        raise UnknownCodecError(f"unknown codec {name!r}", path=path, field="codecs")
    # Import outside the lock: the module may register codecs itself, possibly
    # while another thread is importing it.
    cls = _load(name, target, path)
    with _lock:
        # The imported module may have registered a class of its own for the name.
        return _registry.setdefault(name, cls)


def codec_from_dict(data: dict[str, Any] | str, *, path: str | None = None) -> Codec:
    """Build a codec from its JSON form.

    Parameters
    ----------
    data : dict or str
        ``{"name": ..., "configuration": {...}}``; a bare string is short for ``{"name": data}``.
    path : str, optional
        The metadata document being read, for error messages.

    Returns
    -------
    Codec

    Raises
    ------
    MetadataError
        If the JSON is malformed or names an unknown codec (``UnknownCodecError``).
    """
    if isinstance(data, str):
        data = {"name": data}
    if not isinstance(data, dict):
        raise MetadataError(
            f"a codec must be a JSON object or a name, got {type(data).__name__}",
            path=path,
            field="codecs",
        )
    name = data.get("name")
    if not isinstance(name, str):
        raise MetadataError(
            f"a codec needs a string 'name', got {name!r}", path=path, field="codecs"
        )
    cls = get_codec_class(name, path=path)
    try:
        codec = cls.from_dict(data)
    except MetadataError as err:
        located = with_path(err, path)
        if located is err:
            raise
        raise located from err
    except (TypeError, ValueError, KeyError) as err:
        # Third-party from_dict implementations raise the built-in errors.
        raise MetadataError(
            f"invalid configuration for codec {name!r}: {err}", path=path, field="codecs"
        ) from err
    if not isinstance(codec, Codec):
        raise MetadataError(
            f"codec class for {name!r} returned {type(codec).__name__}, not a Codec",
            path=path,
            field="codecs",
        )
    return codec

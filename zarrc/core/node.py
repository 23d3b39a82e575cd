"""What arrays and groups share: where the node lives."""

from __future__ import annotations

from zarrc.storage import Store

__all__ = ["NodeIdentity"]


class NodeIdentity:
    """``store``, ``path``, ``name`` and ``basename`` of a node (``_store``, ``_path``)."""

    _store: Store
    _path: str

    @property
    def store(self) -> Store:
        """The store holding the node."""
        return self._store

    @property
    def path(self) -> str:
        """Path of the node inside its store (``""`` at the root)."""
        return self._path

    @property
    def name(self) -> str:
        """Absolute name in the hierarchy, h5py style: ``"/"`` or ``"/a/b"``."""
        return "/" + self._path

    @property
    def basename(self) -> str:
        """Last segment of the name (``""`` for the root)."""
        return self._path.rpartition("/")[2]

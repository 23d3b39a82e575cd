"""How arrays and groups show themselves in Jupyter (``_repr_html_``)."""

from __future__ import annotations

import html
from typing import Any

import zarrc
from zarrc.storage import MemoryStore


class CountingStore(MemoryStore):
    """A MemoryStore that counts reads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reads = 0

    def get(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return super().get(*args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return super().get_many(*args, **kwargs)


def test_array_html_shows_the_layout_without_reading_the_store() -> None:
    store = CountingStore()
    a = zarrc.create_array(
        store,
        name="grp/temperature",
        shape=(1000, 400),
        chunks=(10, 20),
        shards=(100, 100),
        dtype="float32",
        compressors=zarrc.codecs.BloscCodec(cname="lz4"),
    )
    store.reads = 0
    page = a._repr_html_()
    assert store.reads == 0
    for text in ("zarrc.Array /grp/temperature", "(1000, 400)", "float32", "(10, 20)"):
        assert html.escape(text) in page, text
    assert "Shards" in page and "(100, 100)" in page
    assert "bytes → blosc" in page
    assert "1.5 MiB in 2000 chunks" in page


def test_group_html_lists_members_and_escapes_names() -> None:
    g = zarrc.open_group(MemoryStore(), mode="w", attributes={"a": 1, "b": 2})
    g.create_group("<i>bold")
    g.create_array("x", shape=(3,), chunks=(3,), dtype="u1")
    page = g._repr_html_()
    assert "&lt;i&gt;bold" in page and "<i>bold" not in page
    assert "x (3,) uint8" in page
    assert "Attributes</th><td" in page and ">2</td>" in page

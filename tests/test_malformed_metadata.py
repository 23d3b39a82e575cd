"""Every document in the malformed-metadata corpus is rejected with the recorded error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zarrc.errors import MetadataError
from zarrc.metadata.v3 import (
    parse_array_metadata_v3,
    parse_group_metadata_v3,
    parse_metadata_v3,
)

CORPUS = Path(__file__).parent / "data" / "malformed_metadata"
CASES: dict[str, dict[str, str | None]] = json.loads((CORPUS / "cases.json").read_text())


def test_corpus_is_complete() -> None:
    files = {p.name for p in CORPUS.glob("*.json")} - {"cases.json"}
    assert files == set(CASES)
    assert len(CASES) >= 22


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_document_is_rejected(name: str) -> None:
    expected = CASES[name]
    raw = (CORPUS / name).read_bytes()
    doc_path = f"corpus/{name}"
    with pytest.raises(MetadataError) as info:
        parse_metadata_v3(raw, path=doc_path)
    err = info.value
    assert err.field == expected["field"]
    assert err.path == doc_path
    assert expected["message"] in str(err)
    # The message names the document so a user can find it.
    assert doc_path in str(err)


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_document_rejected_by_typed_parsers(name: str) -> None:
    raw = (CORPUS / name).read_bytes()
    parser = parse_group_metadata_v3 if name.startswith("group_") else parse_array_metadata_v3
    with pytest.raises(MetadataError) as info:
        parser(raw, path=name)
    assert info.value.field == CASES[name]["field"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_document_rejected_as_str(name: str) -> None:
    raw = (CORPUS / name).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None:
        # Invalid UTF-8 is only expressible as bytes; memoryview input must agree.
        with pytest.raises(MetadataError) as info:
            parse_metadata_v3(memoryview(raw))
    else:
        with pytest.raises(MetadataError) as info:
            parse_metadata_v3(text)
    assert info.value.field == CASES[name]["field"]
    assert info.value.path is None

import io

import pytest

from app.storage.base import LocalStorage


def test_files_are_named_by_content_and_written_whole(tmp_path):
    storage = LocalStorage(tmp_path)
    first = storage.put(b"hello", folder="uploads", suffix=".xlsx")
    again = storage.put(io.BytesIO(b"hello"), folder="uploads", suffix=".xlsx")
    assert first == again and first.size == 5 and first.key.endswith(first.sha256 + ".xlsx")
    assert storage.read(first.key) == b"hello" and storage.exists(first.key)
    assert not list(tmp_path.rglob(".incoming-*"))


def test_names_and_keys_cannot_escape_the_root(tmp_path):
    storage = LocalStorage(tmp_path / "root")
    stored = storage.put(b"x", folder="../../etc", suffix="/../../passwd")
    assert (tmp_path / "root") in (tmp_path / "root" / stored.key).resolve().parents
    with pytest.raises(ValueError):
        storage.read("../outside")

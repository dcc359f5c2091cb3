"""What the chart and the PDF share: their ink, a white matplotlib figure, and its bytes."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

INK = "#222222"
GREY = "#555555"


def new_figure(size_in: tuple[float, float], dpi: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=size_in, dpi=dpi, facecolor="white")


def figure_bytes(fig: Figure, fmt: str, dpi: float, metadata: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
    return buffer.getvalue()

"""Figures are byte-for-byte reproducible and carry no dates."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from channelstudy.report.figures import save_figure, set_style  # noqa: E402


def _figure() -> plt.Figure:
    set_style()
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 1, 2], label="a line")
    ax.legend()
    return fig


def test_same_figure_same_bytes(tmp_path: Path) -> None:
    first = save_figure(_figure(), "f", folder=tmp_path / "a", formats=("png", "svg", "pdf"))
    second = save_figure(_figure(), "f", folder=tmp_path / "b", formats=("png", "svg", "pdf"))
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    svg = (tmp_path / "a" / "f.svg").read_text()
    assert "<dc:date>" not in svg
    assert b"CreationDate" not in (tmp_path / "a" / "f.pdf").read_bytes()


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsupported figure format"):
        save_figure(_figure(), "f", folder=tmp_path, formats=("bmp",))

"""The report on another simulated world: `make report RAW=...` renders every notebook into its own
folder, the readings change with the data and still pass the drift rule, and data/raw is untouched.

Slow (simulate + build + analyze + ten notebooks): not part of `make test-fast`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from channelstudy.report.readings import drift

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GENERATED = ("05-credit-and-innovation", "06-isv-disruption", "07-solutions-and-alliances")


def _readings(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return ["".join(out["data"]["text/markdown"]) for cell in cells for out in cell.get("outputs", [])
            if "text/markdown" in out.get("data", {})]


def _digest(folder: Path) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


@pytest.mark.slow
def test_report_on_a_second_world(tmp_path: Path) -> None:
    raw, truth, out = tmp_path / "raw", tmp_path / "truth", tmp_path / "report"
    subprocess.run([BIN / "channelstudy", "simulate", "--out", raw, "--truth-out", truth, "--firms", "3000",
                    "--seed", "7"], check=True)
    before = _digest(ROOT / "data" / "raw")
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    subprocess.run(["make", "report", f"RAW={raw}", f"OUT={out}", f"RAW_TRUTH={truth}"], cwd=ROOT, env=env,
                   check=True)
    assert _digest(ROOT / "data" / "raw") == before
    executed = sorted((out / "notebooks").glob("*.ipynb"))
    assert [p.stem for p in executed] == [p.stem for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    for notebook in executed:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        assert not [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"], notebook.name
        assert drift(json.loads(notebook.read_text(encoding="utf-8"))) == [], notebook.name
    for name in GENERATED:
        here, default = _readings(out / "notebooks" / f"{name}.ipynb"), _readings(ROOT / "notebooks" / f"{name}.ipynb")
        assert here and here != default, name
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "seed 7" in index and (out / "html" / "07-solutions-and-alliances.html").is_file()
    assert len(list((out / "figures").glob("*.pdf"))) == len(list((out / "figures").glob("*.png"))) > 0


def test_render_needs_at_least_one_job(tmp_path: Path) -> None:
    from channelstudy.report.render import render

    with pytest.raises(ValueError, match="jobs must be at least 1, got 0"):
        render([], out=tmp_path, jobs=0)


def test_render_without_index_writes_the_notebook_only(tmp_path: Path) -> None:
    """`make report` renders its groups with --no-index and writes the index once, at the end."""
    import nbformat

    from channelstudy.report.render import main

    notebook = tmp_path / "nb" / "tiny.ipynb"
    notebook.parent.mkdir()
    cells = [nbformat.v4.new_code_cell("RAW = None\nPROCESSED = None", metadata={"tags": ["parameters"]}),
             nbformat.v4.new_code_cell("print(6 * 7)")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), notebook)
    out = tmp_path / "report"
    assert main([str(notebook), "--out", str(out), "--no-index"]) == 0
    assert (out / "html" / "tiny.html").is_file() and not (out / "index.html").exists()
    executed = json.loads((out / "notebooks" / "tiny.ipynb").read_text(encoding="utf-8"))
    assert "".join(executed["cells"][-1]["outputs"][0]["text"]) == "42\n"

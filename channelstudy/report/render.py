"""Render the notebooks on any data: papermill parameters in, executed notebooks and HTML out.

Each notebook has a cell tagged ``parameters`` (``RAW``, ``PROCESSED``, ``TABLES``, ``FIGURES``, ``TRUTH``,
``REALDATA``); ``render`` runs it with papermill on the given folders, stores the executed notebook in
``<out>/notebooks/`` and an HTML rendering in ``<out>/html/`` (inputs of cells tagged ``remove-input``,
the generated readings, are hidden), then writes ``<out>/index.html`` (``channelstudy.report.index``).

``make report`` calls it on the default world; ``make report RAW=folder`` on a researcher's own raw
folder, after ``channelstudy build`` and ``channelstudy analyze`` into ``<out>/processed`` and
``<out>/tables``::

    python -m channelstudy.report.render --out reports/runs/mydata --raw mydata \\
        --processed reports/runs/mydata/processed --tables reports/runs/mydata/tables
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from channelstudy.catalog import TABLES
from channelstudy.catalog.paths import project_root, tables_dir
from channelstudy.report.index import write_index

__all__ = ["PARAMETERS", "render", "render_notebook", "to_html"]

#: the papermill parameters every notebook declares, and the folder each points to
PARAMETERS = ("RAW", "PROCESSED", "TABLES", "FIGURES", "TRUTH", "REALDATA")
#: committed tables that do not depend on the data (method validation and power over simulated worlds)
SHARED_TABLES = tuple(f"{t.filename}{suffix}" for t in TABLES.values() if t.stage in ("validate", "power")
                      for suffix in ("", ".provenance.json"))


def to_html(notebook: Path, folder: Path) -> Path:
    """HTML of an executed notebook, without the inputs of cells tagged ``remove-input``."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter()
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_input_tags={"remove-input"}, remove_cell_tags={"injected-parameters"},
                              enabled=True),
        enabled=True,
    )
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook.stem}.html"
    path.write_text(body, encoding="utf-8")
    return path


def render_notebook(notebook: Path, *, out: Path, parameters: Mapping[str, str | None],
                    kernel: str = "channelstudy", timeout: int = 1200) -> Path:
    """Execute ``notebook`` with papermill ``parameters`` into ``<out>/notebooks``; return its HTML."""
    import papermill as pm

    unknown = set(parameters) - set(PARAMETERS)
    if unknown:
        raise ValueError(f"unknown notebook parameters {sorted(unknown)}; use {PARAMETERS}")
    executed = out / "notebooks" / notebook.name
    executed.parent.mkdir(parents=True, exist_ok=True)
    pm.execute_notebook(
        str(notebook), str(executed), parameters={k: v for k, v in parameters.items() if v is not None},
        kernel_name=kernel, cwd=str(notebook.parent), progress_bar=False, execution_timeout=timeout,
    )
    return to_html(executed, out / "html")


def render(notebooks: Iterable[Path], *, out: Path, raw: Path | None = None, processed: Path | None = None,
           tables: Path | None = None, figures: Path | None = None, truth: Path | None = None,
           realdata: Path | None = None, kernel: str = "channelstudy", jobs: int = 1,
           index: bool = True) -> Path:
    """Render every notebook on the given folders (None: the project default) and write the index.

    ``jobs`` notebooks run at a time (each in its own kernel); they share no state but the inputs.
    Without ``index`` the index is not written (a later ``--index-only`` run writes it); the
    folder of the HTML is returned instead.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    out = Path(out).resolve()
    folders = {"RAW": raw, "PROCESSED": processed, "TABLES": tables, "FIGURES": figures, "TRUTH": truth,
               "REALDATA": realdata}
    parameters = {k: (str(Path(v).resolve()) if v is not None else None) for k, v in folders.items()}
    if tables is not None:  # method validation is about the method, not the data: show it in every report
        Path(tables).mkdir(parents=True, exist_ok=True)
        for name in SHARED_TABLES:
            source, target = tables_dir() / name, Path(tables) / name
            if not target.exists() and source.exists():
                shutil.copyfile(source, target)
    notebooks = [Path(nb) for nb in notebooks]
    run = partial(render_notebook, out=out, parameters=parameters, kernel=kernel)
    if jobs == 1 or len(notebooks) < 2:
        for notebook in notebooks:
            run(notebook)
    else:
        import papermill  # noqa: F401 (imported once here, not in every worker: ~1.5 CPU s each)

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(run, notebooks))  # re-raises the first notebook that failed
    if not index:
        return out / "html"
    return write_index(out, raw=raw, processed=processed, tables=tables, figures=figures, truth=truth)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m channelstudy.report.render", description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("--out", type=Path, required=True, help="report folder (html/, notebooks/, index.html)")
    for name in ("raw", "processed", "tables", "figures", "truth", "realdata"):
        parser.add_argument(f"--{name}", type=Path, default=None)
    parser.add_argument("--kernel", default="channelstudy")
    parser.add_argument("--index-only", action="store_true", help="only (re)write index.html")
    parser.add_argument("--no-index", action="store_true",
                        help="render the notebooks without writing index.html (make writes it once, at the end)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks executed at a time (default: 1)")
    args = parser.parse_args(argv)
    folders = {k: getattr(args, k) for k in ("raw", "processed", "tables", "figures", "truth")}
    if args.index_only:
        print(write_index(args.out, **folders))
        return 0
    notebooks = args.notebooks or sorted((project_root() / "notebooks").glob("*.ipynb"))
    print(render(notebooks, out=args.out, realdata=args.realdata, kernel=args.kernel, jobs=args.jobs,
                 index=not args.no_index, **folders))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

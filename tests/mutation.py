"""Mutation testing of the core decision modules (``make mutation``; not part of ``make test``).

Each module is mutated by mutmut (pinned in requirements/constraints.txt) in its own scratch copy
of the repository, running only that module's own test files, one module at a time (the machine's
cores are shared).  The scores go to ``reports/tables/mutation.csv`` (module, mutants checked, killed,
survived, score, not_checked when a time budget stopped the run, seconds) and the surviving mutants to
``reports/tables/mutation_survivors.csv`` (module, mutant,
status, the mutated line, reason), the reason read from ``tests/mutation_reasons.csv`` where each reviewed
survivor has one line (an equivalent mutant, and why), else ``not reviewed``.

Usage: ``make mutation [MODULES="channelstudy/build/firms.py ..."]`` or ``python tests/mutation.py [module ...]``
(default: all of :data:`MODULES`); ``python tests/mutation.py --reasons`` only refreshes the reasons column.
mutmut needs the ``fork`` start method (Linux, macOS).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# module -> the pytest arguments selecting its tests (only these run against its mutants); tests that build a
# whole world are left out (``-k``): they take seconds per mutant and the hand-made cases cover the same rules
_NO_BUILD = "not (recomputed or rows_do_not_add_up or refuses or cli_build)"
MODULES: dict[str, list[str]] = {
    "channelstudy/clean/vat.py": ["tests/clean/test_vat.py", "tests/clean/test_rules.py", "-k", "not is_fast"],
    "channelstudy/clean/ateco.py": ["tests/clean/test_ateco.py", "tests/clean/test_rules.py"],
    # link.py: test_link_scale.py (~9 s, a property test against a reference) is left out: with it the run took
    # 2425 s instead of ~1200 s and killed no mutant more
    "channelstudy/build/link.py": ["tests/build/test_link_rules.py", "tests/build/test_link_boundaries.py",
                                   "tests/build/test_link.py", "tests/build/test_link_levels.py",
                                   "tests/build/test_link_mutants.py", "-k", "not ignores_row_order"],
    "channelstudy/build/firms.py": ["tests/build/test_firms_rules.py"],
    "channelstudy/build/rejects.py": ["tests/build/test_report_rules.py", "-k", _NO_BUILD],
    "channelstudy/build/report.py": ["tests/build/test_report_rules.py", "-k", _NO_BUILD],
    "channelstudy/hypotheses/catalogue.py": ["tests/hypotheses/test_catalogue_rules.py",
                                            "tests/hypotheses/test_catalogue_mutants.py"],
    "channelstudy/analysis/raking.py": ["tests/analysis/test_raking_rules.py", "tests/analysis/test_raking_cells.py",
                                       "tests/analysis/test_weights.py", "-k", "not default_world and not property"],
}
TARGET = 0.85
REASONS = Path(__file__).with_name("mutation_reasons.csv")
MUTMUT_STATUS_KILLED = {"killed", "timeout", "segfault", "suspicious"}
NOT_CHECKED = {"not checked", "check was interrupted by user"}


def _config(module: str, tests: list[str]) -> str:
    quoted = ", ".join(f'"{t}"' for t in tests)
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["channelstudy"]\n'
        f'only_mutate = ["{module}"]\n'
        f"pytest_add_cli_args_test_selection = [{quoted}]\n"
        'also_copy = ["tests", "pyproject.toml"]\n'
        'pytest_add_cli_args = ["-p", "no:xdist", "-p", "no:cacheprovider", "-q", "-x"]\n'
        "mutate_only_covered_lines = false\n"
    )


def run_module(module: str, tests: list[str], workdir: Path, seconds: float | None = None) -> dict:
    """Mutate ``module`` in a scratch copy under ``workdir``; return its counts and survivors.

    With ``seconds``, mutmut is stopped after that long and only the mutants checked so far are scored
    (the rest are counted in ``not_checked``).
    """
    scratch = workdir / Path(module).stem
    shutil.copytree(ROOT / "channelstudy", scratch / "channelstudy",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tests", scratch / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pyproject = re.sub(r"^\[tool\.mutmut\]\n(?:(?!\[).*\n)*", "", pyproject, flags=re.MULTILINE)
    (scratch / "pyproject.toml").write_text(pyproject + _config(module, tests), encoding="utf-8")
    mutmut = [sys.executable, "-m", "mutmut"]
    env = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
    start = time.monotonic()
    run = subprocess.Popen([*mutmut, "run", "--max-children", "1"], cwd=scratch, env=env,
                           stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        run.wait(timeout=seconds)
    except subprocess.TimeoutExpired:  # out of time: score the mutants checked so far
        os.killpg(run.pid, signal.SIGTERM)
        run.wait()
    listing = subprocess.run([*mutmut, "results", "--all", "true"], cwd=scratch, env=env, check=True,
                             capture_output=True, text=True).stdout
    statuses = dict(line.strip().rsplit(": ", 1) for line in listing.splitlines() if ": " in line)
    not_checked = sum(s in NOT_CHECKED for s in statuses.values())
    statuses = {k: s for k, s in statuses.items() if s not in NOT_CHECKED}
    killed = sum(s in MUTMUT_STATUS_KILLED for s in statuses.values())
    survivors = sorted(k for k, s in statuses.items() if s not in MUTMUT_STATUS_KILLED)
    changes = {}
    for name in survivors:
        shown = subprocess.run([*mutmut, "show", name], cwd=scratch, env=env, check=False,
                               capture_output=True, text=True).stdout
        added = [line[1:].strip() for line in shown.splitlines() if line.startswith("+") and not line.startswith("+++")]
        changes[name] = " / ".join(added) or "(line removed)"
    return {"module": module, "mutants": len(statuses), "killed": killed, "survived": len(survivors),
            "not_checked": not_checked,
            "score": round(killed / len(statuses), 3) if statuses else float("nan"),
            "seconds": round(time.monotonic() - start),
            "survivors": [{"module": module, "mutant": name, "status": statuses[name], "change": changes[name]}
                          for name in survivors]}


def _read_csv(path: Path, key: str) -> dict[str, dict]:
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        return {row[key]: row for row in csv.DictReader(f)}


def _write_csv(path: Path, rows: list[dict], fields: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _write_survivors(path: Path, survivors: list[dict]) -> None:
    """The survivors table, each with its reviewed reason from :data:`REASONS` (else ``not reviewed``)."""
    reasons = {k: v["reason"] for k, v in _read_csv(REASONS, "mutant").items()}
    rows = [{**row, "reason": reasons.get(row["mutant"], "not reviewed")} for row in survivors]
    _write_csv(path, sorted(rows, key=lambda r: (list(MODULES).index(r["module"]), r["mutant"])),
               ["module", "mutant", "status", "change", "reason"])


def main(argv: list[str]) -> int:
    """Mutate the modules named in ``argv`` (all by default; ``--reasons``: none, only refresh the reasons).

    ``$MUTATION_SECONDS`` caps the time spent on each module (see :func:`run_module`).
    """
    modules = [] if argv == ["--reasons"] else argv or list(MODULES)
    seconds = float(os.environ["MUTATION_SECONDS"]) if os.environ.get("MUTATION_SECONDS") else None
    out = ROOT / "reports" / "tables"
    out.mkdir(parents=True, exist_ok=True)
    scores = _read_csv(out / "mutation.csv", "module")
    survivors = [row for row in _read_csv(out / "mutation_survivors.csv", "mutant").values()
                 if row["module"] not in modules]
    _write_survivors(out / "mutation_survivors.csv", survivors)
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        for module in modules:
            result = run_module(module, MODULES[module], Path(tmp), seconds)
            print(f"{module}: {result['killed']}/{result['mutants']} killed, score {result['score']} "
                  f"({result['seconds']} s)", flush=True)
            survivors += result.pop("survivors")
            scores[module] = result
            _write_csv(out / "mutation.csv", [scores[m] for m in MODULES if m in scores],
                       ["module", "mutants", "killed", "survived", "score", "not_checked", "seconds"])
            _write_survivors(out / "mutation_survivors.csv", survivors)
    low = [m for m in modules if float(scores[m]["score"]) < TARGET]
    if low:
        print(f"below the target score {TARGET}: {', '.join(low)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

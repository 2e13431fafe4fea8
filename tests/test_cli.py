"""The command line: help, exit codes, one-line errors."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from channelstudy.cli import build_parser, main, parse_waves


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "channelstudy", *args], capture_output=True, text=True, timeout=120)


def test_help_lists_subcommands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "simulate" in result.stdout


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return [p for action in nested for child in action.choices.values() for p in (child, *_subparsers(child))]


def test_every_help_renders_its_percent_signs_once() -> None:
    """A description is printed as written (argparse formats only the help of arguments with %)."""
    parsers = _subparsers(build_parser())
    assert len(parsers) >= 8
    for parser in parsers:
        text = parser.format_help()
        assert "%%" not in text and "%(" not in text, parser.prog


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_simulate_writes_raw_and_truth(tmp_path: Path) -> None:
    result = run("simulate", "--out", str(tmp_path / "raw"), "--truth-out", str(tmp_path / "truth"),
                 "--firms", "600", "--waves", "2024-2025", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "raw" / "sources.yml").is_file()
    assert (tmp_path / "raw" / "survey_2025.xlsx").is_file() and not (tmp_path / "raw" / "survey_2023.csv").exists()
    assert (tmp_path / "truth" / "effects.json").is_file()


def test_errors_are_one_line_with_nonzero_exit(tmp_path: Path) -> None:
    result = run("simulate", "--out", str(tmp_path / "raw"), "--truth-out", str(tmp_path / "raw" / "t"),
                 "--firms", "600")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("error: ")


def test_refuses_to_write_into_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("my own data")
    result = run("simulate", "--out", str(tmp_path), "--truth-out", str(tmp_path.parent / "t"), "--firms", "600")
    assert result.returncode == 1 and "refusing" in result.stderr


@pytest.mark.parametrize(("text", "expected"), [("2021-2023", (2021, 2022, 2023)), ("2021,2025", (2021, 2025))])
def test_parse_waves(text: str, expected: tuple[int, ...]) -> None:
    assert parse_waves(text) == expected


def test_bad_waves_are_a_usage_error() -> None:
    result = run("simulate", "--waves", "twenty")
    assert result.returncode == 2 and "waves must look like" in result.stderr


def test_check_says_what_a_folder_can_support(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "sources.yml").write_text(
        "sources:\n  - {name: a, kind: directory, path: a.csv, columns: {name: N, comune: C, employees: E, ateco: A}}\n",
        encoding="utf-8")
    (tmp_path / "a.csv").write_text("N,C,E,A\nRossi Srl,Milano,4,62.01\n", encoding="utf-8")
    assert main(["check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "a       directory  name, comune, employees, ateco" in out
    assert "H1  can run" in out
    assert "H0  needs a survey source; survey.att_portal_easy" in out
    assert "To unlock the rest" in out


def test_check_without_a_manifest_is_a_one_line_error(tmp_path: Path) -> None:
    result = run("check", str(tmp_path))
    assert result.returncode == 1 and result.stderr.startswith("error: ") and result.stderr.count("\n") == 1

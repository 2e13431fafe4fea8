"""pyproject.toml, environment.yml and the constraints file list the same dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}


def _environment() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            names |= {_name(d) for d in dep["pip"] if not d.startswith("-e")}
        else:
            names.add(_name(dep))
    return names - {"python", "pip"}


def test_environment_yml_matches_pyproject() -> None:
    assert _environment() == _pyproject()


def test_every_dependency_is_pinned() -> None:
    pins = {_name(line) for line in (ROOT / "requirements/constraints.txt").read_text().splitlines()
            if line and not line.startswith("#")}
    assert _pyproject() <= pins
    assert all("==" in line for line in (ROOT / "requirements/constraints.txt").read_text().splitlines()
               if line and not line.startswith("#"))

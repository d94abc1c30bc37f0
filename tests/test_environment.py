"""The documented environment is the tested one: requirements.txt and environment.yml pin
the same packages and versions, both for Python 3.11, and this interpreter has exactly
those versions installed (with the course itself installed editable from this checkout)."""

from __future__ import annotations

import json
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[0-9][^\s;#]*)$")
PYTHON = (3, 11)


def requirement_lines(path: Path = ROOT / "requirements.txt") -> list[str]:
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def conda_pip_lines(env: dict) -> list[str]:
    pip_sections = [item["pip"] for item in env["dependencies"] if isinstance(item, dict) and "pip" in item]
    assert len(pip_sections) == 1, "environment.yml should have one pip: section"
    return [str(line).strip() for line in pip_sections[0]]


def pins(lines: list[str]) -> dict[str, str]:
    """{normalized name: version} for every ``name==version`` line."""
    found = {}
    for line in lines:
        match = PIN.match(line)
        if match:
            found[normalize(match["name"])] = match["version"]
    return found


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_requirement_is_an_exact_pin_or_the_course_itself():
    lines = requirement_lines()
    assert "-e ." in lines, "requirements.txt must install the course (-e .)"
    loose = [line for line in lines if line != "-e ." and not PIN.match(line)]
    assert not loose, f"not pinned to an exact version: {loose}"
    names = [normalize(PIN.match(line)["name"]) for line in lines if PIN.match(line)]
    assert len(names) == len(set(names)), "a package is pinned twice"


def test_environment_yml_pip_list_equals_requirements_txt():
    assert conda_pip_lines(environment()) == requirement_lines()


def test_environment_yml_installs_only_python_and_pip_from_conda():
    deps = [item for item in environment()["dependencies"] if not isinstance(item, dict)]
    names = sorted(str(dep).split("=")[0].strip() for dep in deps)
    assert names == ["pip", "python"], (
        f"conda packages besides python and pip would not be pinned like requirements.txt: {deps}")


def test_python_version_is_pinned_to_311_everywhere():
    deps = [str(item) for item in environment()["dependencies"] if not isinstance(item, dict)]
    assert f"python={PYTHON[0]}.{PYTHON[1]}" in deps
    assert re.search(r"Python 3\.11\b", (ROOT / "requirements.txt").read_text())
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.11"' in pyproject


def test_this_interpreter_is_the_pinned_python():
    assert sys.version_info[:2] == PYTHON, f"tests run on Python {sys.version.split()[0]}"


@pytest.mark.parametrize("name, version", sorted(pins(requirement_lines()).items()))
def test_installed_version_matches_the_pin(name, version):
    try:
        installed = metadata.version(name)
    except metadata.PackageNotFoundError:
        pytest.fail(f"{name}=={version} is pinned but not installed (run scripts/setup.sh)")
    # A local build tag (torch's "+cpu"/"+cu130") is the same release.
    assert installed.split("+")[0] == version, f"{name}: installed {installed}, pinned {version}"


def test_the_course_is_installed_editable_from_this_checkout():
    # pip's record of the install (the checkout's own *.egg-info, also on sys.path, has none)
    records = [d.read_text("direct_url.json") for d in metadata.distributions(name="backprop-from-scratch")]
    installed = [json.loads(text) for text in records if text]
    assert installed, "the course is not pip-installed (run scripts/setup.sh)"
    direct_url = installed[0]
    assert direct_url.get("dir_info", {}).get("editable"), "install it with `pip install -e .`"
    assert Path(direct_url["url"].removeprefix("file://")).resolve() == ROOT
    import autograder
    import coursebuild
    import coursekit

    for package in (autograder, coursebuild, coursekit):
        assert Path(package.__file__).resolve().is_relative_to(ROOT)

"""The locked environment: the README's commands install requirements.lock, and
the suite runs on it, so the numbers it checks are the ones the README quotes."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# The packages whose numerics decide the quoted numbers (solvers, random streams, rates).
NUMERIC = ("numpy", "scipy", "pandas", "scikit-learn", "currencyconverter", "pyarrow")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        found = re.match(r"^([A-Za-z0-9_.\[\]-]+)==([^\s;]+)", line)
        if found:
            pins[canonicalize_name(found.group(1).split("[")[0])] = found.group(2)
    return pins


def _readme_command(heading: str) -> str:
    text = (ROOT / "README.md").read_text()
    block = text[text.index(heading) :]
    return re.search(r"```bash\n(.*?)\n```", block, flags=re.S).group(1)


def test_every_requirement_of_the_project_is_pinned_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += [r for r in extra if not r.startswith("salarymodel")]
    pins = _pins()
    for text in requirements:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is required by pyproject.toml but not locked: refresh requirements.lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (text, pins[name])


def test_the_suite_runs_on_the_locked_versions():
    pins = _pins()
    for name in NUMERIC:
        try:
            installed = version(name)
        except PackageNotFoundError:  # pragma: no cover - a core dependency is always installed
            raise AssertionError(f"{name} is not installed") from None
        assert installed == pins[canonicalize_name(name)], (
            f"{name} {installed} is installed, the lock pins {pins[canonicalize_name(name)]}: install with "
            "'python -m pip install -c requirements.lock \".[test]\"' (README) so the quoted numbers hold"
        )


def test_both_readme_commands_install_the_lock_and_ci_runs_the_test_command():
    main_job = _readme_command("Install and run the main job")
    tests = _readme_command("Install and run the tests")
    assert '-c requirements.lock ".[bayes]"' in main_job and "python -m salarymodel.train" in main_job
    assert '-c requirements.lock ".[test]"' in tests and tests.endswith("python -m pytest")
    assert "apt-get install -y -qq chromium-headless-shell" in tests  # the browser tests' browser, too
    ci = (ROOT / ".ci" / "run").read_text()
    assert "/^Install and run the tests/" in ci and 'bash -euo pipefail -c "$command"' in ci

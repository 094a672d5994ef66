"""Entry points: ``python -m salarymodel <command>`` runs the console script's commands,
and importing any submodule leaves every exported name what ``__all__`` promises."""

from __future__ import annotations

import subprocess
import sys

# Imports every submodule, then reports each exported name that is a module or is not
# the object its defining module holds (a submodule named like an export replaces it).
_IMPORT_ALL = """
import importlib, pkgutil, types, salarymodel
for info in pkgutil.walk_packages(salarymodel.__path__, 'salarymodel.'):
    importlib.import_module(info.name)
wrong = []
for name in salarymodel.__all__:
    value = getattr(salarymodel, name)
    if name == '__version__':
        continue
    home = importlib.import_module('salarymodel.' + salarymodel._EXPORTS[name])
    if isinstance(value, types.ModuleType) or value is not getattr(home, name):
        wrong.append(name)
print(len(salarymodel.__all__), wrong)
"""


def test_importing_every_submodule_leaves_the_exported_names_intact():
    done = subprocess.run([sys.executable, "-c", _IMPORT_ALL], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    count, wrong = done.stdout.split(" ", 1)
    assert int(count) > 10 and wrong.strip() == "[]", done.stdout


def test_the_predict_function_works_after_its_command_line_module_is_imported():
    code = "import salarymodel.cli.predict\nfrom salarymodel import predict\nprint(type(predict).__name__, predict.__module__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["function", "salarymodel.api"], done.stderr


def test_python_dash_m_salarymodel_runs_a_command_and_names_itself(model_dir):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "salarymodel",
            "predict",
            "--model",
            str(model_dir),
            "--country",
            "DE",
            "--years",
            "5",
            "--as-of",
            "2023-07-01",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "ML engineers in Germany" in done.stdout, done.stderr
    helped = subprocess.run(
        [sys.executable, "-m", "salarymodel", "predict", "--help"], capture_output=True, text=True, timeout=120
    )
    assert helped.returncode == 0 and helped.stdout.startswith("usage: python -m salarymodel predict")
    missing = subprocess.run([sys.executable, "-m", "salarymodel"], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and missing.stderr.startswith("python -m salarymodel: a command is required")
    assert "  python -m salarymodel train --out models" in missing.stderr

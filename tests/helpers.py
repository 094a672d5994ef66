"""Helpers the tests import: figures files to train on, model files, servers.

Fixtures live in conftest.py; these are plain functions.
"""

from __future__ import annotations

import pytest

from salarymodel.data.shipped import raw_data_file


def shipped_figures():
    """The shipped figures file as text columns (empty cells as '')."""
    import pandas as pd

    return pd.read_csv(raw_data_file("reported_figures.csv"), dtype=str, keep_default_na=False)


def figures_with(folder, rows, name: str = "figures.csv"):
    """The shipped figures plus ``rows`` (dicts of columns), as a CSV in ``folder``; its path."""
    import pandas as pd

    path = folder / name
    pd.concat([shipped_figures(), pd.DataFrame(list(rows))], ignore_index=True).fillna("").to_csv(path, index=False)
    return path


def a_users_figure(like_company: str, **changes) -> dict:
    """A user's figure: the first shipped figure of ``like_company``, as id f99 from source U1, with ``changes``."""
    shipped = shipped_figures()
    base = shipped[shipped["company"] == like_company].iloc[0].to_dict()
    return {**base, "id": "f99", "source": "U1", "source_detail": "", **changes}


def uk_figures(folder):
    """The shipped figures plus three United Kingdom figures from one site (all levels), as a CSV in ``folder``."""
    site = {
        "source": "UK1",
        "source_detail": "ExampleSite",
        "country": "United Kingdom",
        "currency": "GBP",
        "year": "2023",
        "level": "all",
        "pay": "base",
    }
    uk = [
        {**site, "id": "u01", "statistic": "mean", "value": "65000"},
        {**site, "id": "u02", "statistic": "range", "value": "50000", "value_high": "80000", "coverage": "0.5"},
        {**site, "id": "u03", "statistic": "median", "value": "62000"},
    ]
    return figures_with(folder, uk, "with_uk.csv")


def model_file(folder, kind: str = "data"):
    """The file of a model folder that its card names: 'data', 'training' or 'training_set'."""
    from salarymodel.serving.model_io.folder import model_file as named
    from salarymodel.serving.model_io.folder import read_card

    return named(read_card(folder), kind, folder)[0]


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(*options: str, ready: str = "/readyz", seconds: float = 90):
    """``salarymodel serve`` with ``options`` on 127.0.0.1 and a free port, once it answers
    ``ready``; returns (process, port). The caller terminates it."""
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "salarymodel.cli.console", "serve", "--host", "127.0.0.1", "--port", str(port), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=2)
            return process, port
        except (urllib.error.URLError, OSError):
            if process.poll() is not None:
                pytest.fail(f"the server stopped: {process.stderr.read()}")
            time.sleep(0.2)
    process.kill()
    pytest.fail("the server did not become ready")

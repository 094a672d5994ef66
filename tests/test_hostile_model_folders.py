"""Model folders that would hang, exhaust memory or crash a loader are refused
before anything is allocated."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from helpers import model_file
from salarymodel import ModelIntegrityError, load_model
from salarymodel.serving.model_io.folder import FORMAT_VERSION


@pytest.fixture
def copy(model_dir, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(model_dir, folder)
    return folder


def _vouch(folder, data: bytes) -> None:
    """A hostile card that vouches for whatever the data file now holds."""
    card_path = folder / "salary_model.json"
    card = json.loads(card_path.read_text())
    card["artifact"]["sha256"] = hashlib.sha256(data).hexdigest()
    card["artifact"]["bytes"] = len(data)
    card_path.write_text(json.dumps(card))


def _replace_data(folder, data: bytes) -> None:
    path = model_file(folder)
    path.unlink()
    path.write_bytes(data)
    _vouch(folder, data)


def _archive(members: dict[str, bytes], compress=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compress) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


def _members(folder) -> dict[str, bytes]:
    with zipfile.ZipFile(model_file(folder)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _load_in_child(folder, seconds: float = 20.0) -> tuple[str, float, float]:
    """Load a folder in a fresh process: its message, wall time and peak memory (MB)."""
    # VmHWM: this process image's own peak (getrusage would count the forked parent's pages too).
    code = (
        "import sys\nfrom salarymodel import load_model\ntry:\n    load_model(sys.argv[1])\n    print('LOADED')\n"
        "except Exception as error:\n    print(type(error).__name__ + ': ' + str(error))\n"
        "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print('PEAK', peak)\n"
    )
    start = time.perf_counter()
    with open(folder.parent / "child.out", "w+") as out:
        child = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdout=out)
        try:
            child.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            child.kill()
            pytest.fail(f"loading {folder} hung")
        elapsed = time.perf_counter() - start
        out.seek(0)
        message, peak = out.read().strip().rsplit("\nPEAK ", 1)
        return message, elapsed, int(peak) / 1024


def test_a_fifo_as_the_data_file_is_refused_at_once_without_hanging(copy):
    path = model_file(copy)
    path.unlink()
    os.mkfifo(path)
    message, seconds, _ = _load_in_child(copy)
    assert message.startswith("ModelIntegrityError") and "a FIFO" in message  # a hang fails in _load_in_child


def test_a_link_to_dev_zero_is_refused_without_reading_it(copy):
    path = model_file(copy)
    path.unlink()
    path.symlink_to("/dev/zero")
    message, _, peak = _load_in_child(copy)
    assert message.startswith("ModelIntegrityError") and "character device" in message
    assert peak < 100  # the whole interpreter with numpy: nothing of /dev/zero was read


def test_a_zip_bomb_member_is_refused_before_it_is_inflated(copy):
    members = _members(copy)
    members["median.npy"] = _npy(np.zeros((200, 1001)))  # compressible
    bomb = _archive(members, compress=zipfile.ZIP_DEFLATED)
    _replace_data(copy, bomb)
    with pytest.raises(ModelIntegrityError, match="compressed"):
        load_model(copy)


def test_a_declared_shape_of_ten_to_the_thirteen_is_refused_before_allocation(copy, monkeypatch):
    members = _members(copy)
    header = _npy(np.zeros(3))
    huge = header.replace(b"(3,)", b"(10000000000000,)")
    members["median.npy"] = huge
    _replace_data(copy, _archive(members))
    monkeypatch.setattr(np, "empty", lambda *a, **k: pytest.fail("allocated"))
    with pytest.raises(ModelIntegrityError, match="declares shape"):
        load_model(copy)


def test_unexpected_or_missing_members_are_named(copy):
    members = _members(copy)
    members["extra.npy"] = _npy(np.zeros(1))
    del members["median.npy"]
    _replace_data(copy, _archive(members))
    with pytest.raises(ModelIntegrityError, match=r"missing \['median'\], unexpected \['extra'\]"):
        load_model(copy)


def test_a_nan_table_is_refused_by_name(copy):
    members = _members(copy)
    with io.BytesIO(members["quantiles.npy"]) as stream:
        quantiles = np.load(stream)
    quantiles[0, 5, 3] = np.nan
    members["quantiles.npy"] = _npy(quantiles)
    _replace_data(copy, _archive(members))
    with pytest.raises(ModelIntegrityError, match="'quantiles' must be finite"):
        load_model(copy)


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("countries", [], "countries"),
        ("cells", [["DE", 7]], "cells"),
        ("local_currency", {}, "local_currency"),
        ("level_edges", "3,7,12", "level_edges"),
    ],
)
def test_a_json_document_of_the_wrong_shape_is_refused_by_field(copy, field, value, named):
    members = _members(copy)
    meta = json.loads(np.load(io.BytesIO(members["meta_json.npy"])).tobytes())
    meta[field] = value
    members["meta_json.npy"] = _npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    _replace_data(copy, _archive(members))
    with pytest.raises(ModelIntegrityError, match=f"'{named}'"):
        load_model(copy)


@pytest.mark.parametrize(
    "card",
    [
        b"[]",
        b"1",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"format_version": 9, "artifact": []}',
        b'{"format_version": 9, "artifact": {"file": "../../etc/passwd", "sha256": "0", "bytes": 1}}',
    ],
)
def test_a_card_of_the_wrong_shape_is_refused_without_a_traceback(copy, card):
    (copy / "salary_model.json").write_bytes(card)
    with pytest.raises(ModelIntegrityError):
        load_model(copy)


def test_a_card_that_is_a_fifo_does_not_hang(copy):
    card = copy / "salary_model.json"
    card.unlink()
    os.mkfifo(card)
    message, seconds, _ = _load_in_child(copy)
    assert message.startswith("ModelIntegrityError") and "a FIFO" in message


def _with_meta(copy, change) -> None:
    members = _members(copy)
    meta = json.loads(np.load(io.BytesIO(members["meta_json.npy"])).tobytes())
    change(meta)
    members["meta_json.npy"] = _npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    _replace_data(copy, _archive(members))


def _with_table(copy, name, change) -> None:
    members = _members(copy)
    table = np.load(io.BytesIO(members[f"{name}.npy"]))
    members[f"{name}.npy"] = _npy(change(table))
    _replace_data(copy, _archive(members))


def _set_column(fidelity: dict, name: str, value: object) -> None:
    at = fidelity["columns"].index(name)
    for record in fidelity["records"]:
        record[at] = value


# Values of the right type that would still break an estimate (NaN estimates with exit 0,
# ZeroDivisionError, OverflowError, TokenError, KeyError from explain).
@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            lambda m: m["money"]["wages"]["DE"].update(log_levels=[float("nan")] * len(m["money"]["wages"]["DE"]["months"])),
            "money.wages.DE.log_levels",
        ),
        (
            lambda m: m["money"]["wages"]["DE"].update(log_levels=[1e300] * len(m["money"]["wages"]["DE"]["months"])),
            "money.wages.DE.log_levels",
        ),
        (lambda m: m["money"].update(reference_month="2023-07"), "money.reference_month"),
        (lambda m: m["fidelity"].update(records=[["garbage"]]), "fidelity.records"),
        (lambda m: m["fidelity"].update(records=[[7] * len(m["fidelity"]["columns"])]), "fidelity.records"),
        (
            lambda m: m.update(fidelity={"columns": ["id"], "records": [[r[0]] for r in m["fidelity"]["records"]]}),
            "fidelity.columns",
        ),
        (lambda m: _set_column(m["fidelity"], "relative_error", "abc"), "fidelity.records"),
        (lambda m: m.update(source_lists=[["f99"] for _ in m["source_lists"]]), "source_lists"),
        (lambda m: m["money"]["wages"]["DE"].update(months=[24000], log_levels=[0.0]), "money.wages.DE.months"),
        (lambda m: m["money"].update(reference_month=2099 * 12), "money.reference_month"),
    ],
    ids=[
        "NaN wage index",
        "huge wage index",
        "month as text",
        "short fidelity record",
        "fidelity id a number",
        "fidelity of ids only",
        "text in a number column",
        "source list of an unknown figure",
        "wage index of one month",
        "reference month in 2099",
    ],
)
def test_meta_values_that_would_break_an_estimate_are_refused_by_field(copy, change, named):
    _with_meta(copy, change)
    with pytest.raises(ModelIntegrityError, match=f"'{named}'"):
        load_model(copy)


@pytest.mark.parametrize(
    ("name", "change", "named"),
    [
        ("fx_rates", lambda t: np.zeros_like(t), "fx_rates"),
        ("fx_rates", lambda t: np.full_like(t, np.inf), "fx_rates"),
        ("median", lambda t: t + 1e6, "median"),
        ("quantiles", lambda t: t * 1e300, "quantiles"),
        ("quantiles", lambda t: -t, "quantiles"),
    ],
    ids=["zero rates", "infinite rates", "huge median", "huge quantiles", "falling quantiles"],
)
def test_table_values_out_of_range_are_refused_by_name(copy, name, change, named):
    _with_table(copy, name, change)
    with pytest.raises(ModelIntegrityError, match=f"'{named}'"):
        load_model(copy)


def test_a_malformed_array_header_or_a_huge_integer_in_the_card_names_the_file(copy):
    members = _members(copy)
    good = members["median.npy"]
    header_end = good.index(b"\n") + 1
    members["median.npy"] = (
        good[:10]
        + b"{'descr': '<f8', 'fortran_order': False, 'shape': (9, 1001"
        + b" " * (header_end - 10 - 58 - 1)
        + b"\n"
        + good[header_end:]
    )
    _replace_data(copy, _archive(members))
    with pytest.raises(ModelIntegrityError, match="'median' has no valid array header"):
        load_model(copy)
    card = copy / "salary_model.json"
    text = card.read_text()
    assert f'"format_version": {FORMAT_VERSION}' in text
    card.write_text(text.replace(f'"format_version": {FORMAT_VERSION}', '"format_version": ' + "9" * 5000))
    with pytest.raises(ModelIntegrityError, match="salary_model.json is not valid JSON"):
        load_model(copy)


def test_no_command_prints_nan_in_json(model_dir):
    import subprocess
    import sys

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
            "--json",
            "--explain",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout, parse_constant=lambda name: pytest.fail(f"{name} in the JSON output"))

"""Model folders: a data-only serving file, audited before it is read; an
optional training pickle opened only for evaluation; versions; atomic writes."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import shutil
import subprocess
import sys

import joblib
import numpy as np
import pytest

from helpers import model_file
from salarymodel import ModelIntegrityError, ModelVersionError, load_model
from salarymodel.serving.model_io.folder import FORMAT_VERSION, write_atomic
from salarymodel.training.state_file import save_trained_model, training_state


@pytest.fixture
def model_copy(model_dir, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(model_dir, target)
    return target


def _vouch_for(folder, data: bytes, entry: str = "artifact") -> None:
    """What an attacker who replaces both files does: make the card match."""
    card_path = folder / "salary_model.json"
    card = json.loads(card_path.read_text())
    card[entry]["sha256"] = hashlib.sha256(data).hexdigest()
    card_path.write_text(json.dumps(card))


class _Payload:
    """Unpickling this writes a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (_write_marker, (self.marker,))


def _write_marker(path):  # called only if a pickle is executed
    with open(path, "w") as stream:
        stream.write("code ran")


def test_card_records_provenance_money_metrics_and_its_files(model_dir):
    card = json.loads((model_dir / "salary_model.json").read_text())
    for key in (
        "package",
        "created_at",
        "seed",
        "rows",
        "money",
        "libraries",
        "metrics",
        "artifact",
        "training_artifact",
        "format_version",
        "figures",
        "money_over_time",
    ):
        assert key in card
    assert card["money"]["reference_year"] == 2023
    assert len(card["artifact"]["sha256"]) == 64 and len(card["training_artifact"]["sha256"]) == 64
    assert {"f16", "f27"} == {item["id"] for item in card["figures"]["excluded"]}
    assert (model_dir / "salary_model.md").read_text().startswith("# Model card")


def test_serving_file_is_plain_arrays_and_json(model_dir):
    with np.load(model_file(model_dir), allow_pickle=False) as archive:
        assert all(archive[name].dtype != object for name in archive.files)
        meta = json.loads(archive["meta_json"].tobytes())
    assert meta["countries"] == ["DE", "IN", "US"] and meta["reference_year"] == 2023


def test_loading_again_serves_the_same_numbers(model_dir, model):
    loaded = load_model(model_dir)
    for name in ("quantiles", "median", "median_low", "median_high", "support", "source", "fx_rates"):
        np.testing.assert_array_equal(getattr(loaded.tables, name), getattr(model.tables, name))
    assert loaded.predict("India", 3, "TCS") == model.predict("India", 3, "TCS")


def test_a_predicting_process_imports_neither_scikit_learn_nor_pandas(model_dir):
    code = (
        f"import sys, salarymodel; m = salarymodel.load_model({str(model_dir)!r}); "
        "e = m.predict('Germany', 5); m.predict('India', 3, 'TCS', currency='USD'); "
        "print(e.median > 0, sorted(k for k in ('sklearn', 'scipy', 'pandas', 'joblib', 'pycountry') "
        "if k in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True []"


def test_training_side_is_loaded_only_when_evaluation_asks(model_copy):
    loaded = load_model(model_copy)
    assert loaded.training is None  # not loaded yet
    loaded.predict("US", 4)
    assert loaded.training is None
    assert len(training_state(loaded).estimator) == len(loaded.core.cells)  # loaded now (a regression per row), and kept
    assert loaded.training is training_state(loaded)
    model_file(model_copy, "training").unlink()
    fresh = load_model(model_copy)
    assert fresh.predict("US", 4).median > 0  # serving does not need it
    with pytest.raises(ModelIntegrityError, match="no training file"):
        training_state(fresh)


def _forbid(monkeypatch, owner, name: str) -> None:
    """Make ``owner.name`` fail the test if it is ever called."""

    def never(*args, **kwargs):
        raise AssertionError(f"{name} reached for a tampered file")

    monkeypatch.setattr(owner, name, never)


def test_tampered_data_file_is_refused_before_it_is_read(model_copy, monkeypatch):
    data = model_file(model_copy)
    data.write_bytes(data.read_bytes() + b"tampered")
    _forbid(monkeypatch, np, "load")
    with pytest.raises(ModelIntegrityError, match="does not match its model card"):
        load_model(model_copy)


@pytest.mark.parametrize("kind", ["pickle file", "object array"])
def test_pickled_payload_is_refused_without_running(model_copy, tmp_path, kind):
    live = tmp_path / "live.txt"
    pickle.loads(pickle.dumps(_Payload(live)))
    assert live.exists()  # the payload does run when unpickled
    marker = tmp_path / "marker.txt"
    if kind == "pickle file":
        payload = pickle.dumps(_Payload(marker))
    else:  # a real .npz whose array holds a pickled object
        buffer = io.BytesIO()
        np.savez(buffer, meta_json=np.array([_Payload(marker)], dtype=object))
        payload = buffer.getvalue()
    model_file(model_copy).write_bytes(payload)
    _vouch_for(model_copy, payload)
    with pytest.raises(ModelIntegrityError, match="pickled"):
        load_model(model_copy)
    assert not marker.exists()


def test_tampered_training_file_is_refused_before_unpickling(model_copy, monkeypatch):
    training = model_file(model_copy, "training")
    training.write_bytes(training.read_bytes() + b"tampered")
    _forbid(monkeypatch, joblib, "load")
    loaded = load_model(model_copy)
    assert loaded.predict("DE", 4).median > 0
    with pytest.raises(ModelIntegrityError, match="does not match its model card"):
        training_state(loaded)


def test_missing_card_is_refused(model_copy):
    (model_copy / "salary_model.json").unlink()
    with pytest.raises(ModelIntegrityError, match="No model card"):
        load_model(model_copy)


def test_other_scikit_learn_minor_version_stops_evaluation_not_prediction(model_copy):
    card_path = model_copy / "salary_model.json"
    card = json.loads(card_path.read_text())
    card["training_artifact"]["scikit-learn"] = "0.99.0"
    card_path.write_text(json.dumps(card))
    loaded = load_model(model_copy)
    assert loaded.predict("US", 3).median > 0
    with pytest.raises(ModelVersionError, match="Retrain"):
        training_state(loaded)


def test_other_format_version_is_refused(model_copy):
    card_path = model_copy / "salary_model.json"
    card = json.loads(card_path.read_text())
    card["format_version"] = 999
    card_path.write_text(json.dumps(card))
    with pytest.raises(ModelVersionError, match="format"):
        load_model(model_copy)


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("old")

    def crash(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, crash)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


# The newest format this reader no longer loads (format 9 it still reads: tested below).
UNREADABLE_OLDER_FORMAT = 8


def _older_format_copy(model_dir, folder):
    shutil.copytree(model_dir, folder)
    card_path = folder / "salary_model.json"
    card = json.loads(card_path.read_text())
    card["format_version"] = UNREADABLE_OLDER_FORMAT
    card_path.write_text(json.dumps(card))
    return card_path


def test_default_cache_in_another_format_is_rebuilt_not_refused(tmp_path, monkeypatch, model_dir):
    from salarymodel import api
    from salarymodel.serving.model_io import paths as _paths

    cache = tmp_path / "cache"
    card_path = _older_format_copy(model_dir, cache)
    (cache / _paths.CACHE_MARKER).write_text("made by salarymodel")  # the package's own cache
    monkeypatch.setenv(_paths.MODEL_DIR_ENV, str(cache))
    monkeypatch.setattr(api, "_default_model", None)
    model = api.default_model()
    assert model.predict("DE", 4).median > 0
    assert json.loads(card_path.read_text())["format_version"] == FORMAT_VERSION


def test_your_own_model_in_another_format_is_never_overwritten(tmp_path, monkeypatch, model_dir):
    # SALARYMODEL_MODEL_DIR pointing at a folder the package did not create: refused, not retrained over.
    from salarymodel import api
    from salarymodel.serving.model_io import paths as _paths

    mine = tmp_path / "mine"
    card_path = _older_format_copy(model_dir, mine)
    before = {p.name: p.read_bytes() for p in mine.iterdir()}
    monkeypatch.setenv(_paths.MODEL_DIR_ENV, str(mine))
    monkeypatch.setattr(api, "_default_model", None)
    with pytest.raises(ModelVersionError, match="not a cache salarymodel created"):
        api.default_model()
    assert {p.name: p.read_bytes() for p in mine.iterdir()} == before
    assert json.loads(card_path.read_text())["format_version"] == UNREADABLE_OLDER_FORMAT


def test_tampered_default_cache_is_refused(tmp_path, monkeypatch, model_dir):
    from salarymodel import api
    from salarymodel.serving.model_io import paths as _paths

    cache = tmp_path / "cache"
    shutil.copytree(model_dir, cache)
    model_file(cache).write_bytes(b"not a model")
    monkeypatch.setenv(_paths.MODEL_DIR_ENV, str(cache))
    monkeypatch.setattr(api, "_default_model", None)
    with pytest.raises(ModelIntegrityError):
        api.default_model()


def test_model_file_layout_is_pinned_to_the_format_version(model_dir):
    # Changing what a model file holds without bumping FORMAT_VERSION would
    # let old files load into new code and fail later; this pin makes it a choice.
    with np.load(model_file(model_dir), allow_pickle=False) as archive:
        arrays = sorted(name for name in archive.files if "scores_" not in name)
        meta = json.loads(archive["meta_json"].tobytes())
    wages = sorted(next(iter(meta["money"]["wages"].values())))
    assert (FORMAT_VERSION, arrays, sorted(meta), sorted(meta["money"]), wages) == (
        13,
        ["fx_rates", "median", "median_high", "median_low", "meta_json", "quantiles", "source", "support"],
        [
            "cells",
            "company_aliases",
            "countries",
            "country_labels",
            "country_names",
            "fidelity",
            "level_edges",
            "local_currency",
            "metadata",
            "money",
            "pay",
            "populations",
            "reference_per_usd",
            "reference_year",
            "source_lists",
            "sources",
        ],
        ["first_month", "fx_currencies", "fx_first_month", "local_currency", "reference_month", "reference_per_usd", "wages"],
        ["growth_sd", "log_levels", "months", "series", "source"],
    )


def test_a_format_older_than_9_is_refused_naming_the_command_that_converts_it(model_copy):
    card_path = model_copy / "salary_model.json"
    card = json.loads(card_path.read_text())
    card["format_version"] = UNREADABLE_OLDER_FORMAT
    card_path.write_text(json.dumps(card))
    with pytest.raises(
        ModelVersionError, match=r"reads formats 9, 10, 11, 12, 13\. Retrain with 'python -m salarymodel.train --out"
    ):
        load_model(model_copy)


def _versions(model, count: int):
    """Stand-ins for ``count`` trained models with different serving bytes (and so versions)."""
    from dataclasses import replace
    from types import SimpleNamespace

    # A different seed in the training facts: other serving bytes, the same tables.
    return [
        SimpleNamespace(
            tables=model.tables,
            meta=replace(model.meta, metadata=replace(model.meta.metadata, seed=1000 + i)),
            training=training_state(model),
            folder=None,
        )
        for i in range(count)
    ]


def _card(model_dir) -> dict:
    card = json.loads((model_dir / "salary_model.json").read_text())
    return {k: v for k, v in card.items() if k not in ("artifact", "training_artifact", "training_set")}


def test_two_trainings_into_one_folder_take_turns(model, model_dir, tmp_path, monkeypatch):
    # Without a lock, B writes its files, A's cleanup deletes them and B's card then
    # names deleted files. A slow disk (a sleep before the switch) makes them overlap.
    import threading
    import time

    from salarymodel.serving.model_io import folder as persist

    slow = persist._fsync_folder

    def sleepy(folder):
        time.sleep(0.3)
        slow(folder)

    monkeypatch.setattr(persist, "_fsync_folder", sleepy)
    switch, order = persist._switch, []

    def recorded(folder, card, contents, markdown):
        switch(folder, card, contents, markdown)
        order.append(card["artifact"]["file"])  # under the lock: the order the runs switched in

    monkeypatch.setattr(persist, "_switch", recorded)
    folder = tmp_path / "m"
    first, second = _versions(model, 2)
    runs = [threading.Thread(target=save_trained_model, args=(m, folder, _card(model_dir), "# card")) for m in (first, second)]
    for run in runs:
        run.start()
        time.sleep(0.05)
    for run in runs:
        run.join()
    card = json.loads((folder / "salary_model.json").read_text())
    assert all((folder / card[e]["file"]).is_file() for e in ("artifact", "training_artifact"))
    assert len(order) == 2 and card["artifact"]["file"] == order[-1]  # the run that switched last is the model
    assert load_model(folder).predict("DE", 5).median > 0
    assert len(list(folder.glob("salary_model-*.npz"))) == 1 and not list(folder.glob(".*"))


def test_a_killed_runs_temporary_files_go_and_nothing_else_of_yours(model, model_dir, tmp_path):

    folder = tmp_path / "m"
    folder.mkdir()
    leftovers = [
        ".salary_model-0123456789ab.npz.k3j_x9.tmp",
        ".salary_model.json.a1b2c3.tmp",
        ".salary_model_training-0123456789ab.joblib.zz.tmp",
    ]
    for name in leftovers:
        (folder / name).write_bytes(b"half")
    (folder / ".my_notes.tmp").write_text("mine")
    (folder / "salary_model-notes.txt").write_text("mine too")
    save_trained_model(_versions(model, 1)[0], folder, _card(model_dir), "# card")
    names = {p.name for p in folder.iterdir()}
    assert not names & set(leftovers) and {".my_notes.tmp", "salary_model-notes.txt"} <= names


def test_a_full_disk_before_the_switch_leaves_the_old_model_and_none_of_the_new(model, model_dir, tmp_path, monkeypatch):
    import errno

    from salarymodel.serving.model_io import folder as persist

    folder = tmp_path / "m"
    old, new = _versions(model, 2)
    save_trained_model(old, folder, _card(model_dir), "# card")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    real, written = persist._write_new, []

    def full(path, data):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path)
        real(path, data)

    monkeypatch.setattr(persist, "_write_new", full)
    with pytest.raises(OSError, match="No space"):
        save_trained_model(new, folder, _card(model_dir), "# card")
    assert written and {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_card_text_that_cannot_be_written_after_the_switch_says_the_new_model_serves(model, model_dir, tmp_path, monkeypatch):
    from salarymodel.errors import ModelSwitchedError
    from salarymodel.serving.model_io import folder as persist

    real = persist.write_atomic

    def no_markdown(path, write):
        if path.name == "salary_model.md":
            raise OSError(28, "No space left on device")
        real(path, write)

    monkeypatch.setattr(persist, "write_atomic", no_markdown)
    folder = tmp_path / "m"
    with pytest.raises(ModelSwitchedError, match=r"new model \(salary_model-[0-9a-f]{12}\.npz\) is in place"):
        save_trained_model(_versions(model, 1)[0], folder, _card(model_dir), "# card")
    assert load_model(folder).predict("DE", 5).median > 0


def test_the_card_reads_as_named_sections_and_renders_its_markdown(model_dir):
    import json

    from salarymodel.serving.model_io.card import ModelCard, render_markdown

    written = json.loads((model_dir / "salary_model.json").read_text())
    card = ModelCard.from_dict(written)
    assert card.training.seed == written["seed"] and card.training.rows == written["rows"]
    assert card.data.used == written["figures"]["used"] and card.data.countries == written["countries"]
    assert card.evaluation.coverage(0.8) == written["metrics"]["calibration"]["levels"]["0.8"]
    assert card.measurement_model is not None  # a posterior model
    # The Markdown next to the card is what its sections render, from either form.
    assert render_markdown(card) == render_markdown(written) == (model_dir / "salary_model.md").read_text()


def test_a_model_the_loader_would_refuse_is_not_written_and_the_old_one_stays(model, model_dir, tmp_path, monkeypatch):
    # A run of thousands of employers wrote a data file over the loader's 256 MiB and had
    # already deleted the working model. The loader's limit is checked before the switch.
    from salarymodel.errors import ModelTooLargeError
    from salarymodel.serving.model_io import folder as persist

    folder = tmp_path / "m"
    first, second = _versions(model, 2)
    save_trained_model(first, folder, _card(model_dir), "# card")
    before = sorted(p.name for p in folder.iterdir())
    data_size = (folder / json.loads((folder / "salary_model.json").read_text())["artifact"]["file"]).stat().st_size
    monkeypatch.setattr(persist, "MAX_DATA_BYTES", data_size - 1)
    with pytest.raises(
        ModelTooLargeError, match=r"salary_model-[0-9a-f]{12}\.npz would hold [\d,]+ bytes.*keeps its previous model"
    ):
        save_trained_model(second, folder, _card(model_dir), "# card")
    monkeypatch.undo()
    assert sorted(p.name for p in folder.iterdir()) == before
    assert load_model(folder).meta.metadata.seed == 1000


def test_a_reader_during_a_switch_reads_the_new_version(model, model_dir, tmp_path, monkeypatch):
    # A reader that read the card just before a training switched versions found the
    # card's data file gone ("No model data file ..."). It reads the new card instead.
    from salarymodel.serving.model_io import folder as persist

    folder = tmp_path / "m"
    first, second = _versions(model, 2)
    save_trained_model(first, folder, _card(model_dir), "# card")
    old_card = persist.read_card(folder)
    save_trained_model(second, folder, _card(model_dir), "# card")  # removes the first version's files
    real, calls = persist.read_card, []

    def read_just_before_the_switch(path):
        calls.append(path)
        return old_card if len(calls) == 1 else real(path)

    monkeypatch.setattr(persist, "read_card", read_just_before_the_switch)
    assert load_model(folder).meta.metadata.seed == 1001 and len(calls) >= 2


def test_a_missing_data_file_with_an_unchanged_card_is_still_refused(model, model_dir, tmp_path):
    folder = tmp_path / "m"
    save_trained_model(_versions(model, 1)[0], folder, _card(model_dir), "# card")
    next(folder.glob("salary_model-*.npz")).unlink()
    with pytest.raises(ModelIntegrityError, match="No model data file"):
        load_model(folder)

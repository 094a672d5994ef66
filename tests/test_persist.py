"""Artifacts: audit before unpickling, versions, atomic writes."""

from __future__ import annotations

import json
import shutil

import joblib
import pytest

from salarymodel import ModelIntegrityError, ModelVersionError, load_model
from salarymodel.persist import write_atomic


@pytest.fixture
def model_copy(model_dir, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(model_dir, target)
    return target


def test_card_records_what_the_issue_asks(model_dir):
    card = json.loads((model_dir / "salary_model.json").read_text())
    for key in ("package", "created_at", "seed", "rows", "money", "libraries", "metrics", "artifact",
                "format_version", "figures"):
        assert key in card
    assert card["money"]["reference_year"] == 2023
    assert len(card["artifact"]["sha256"]) == 64
    assert {"f16", "f27"} == {item["id"] for item in card["figures"]["excluded"]}
    assert (model_dir / "salary_model.md").read_text().startswith("# Model card")


def test_tampered_artifact_is_refused_before_unpickling(model_copy, monkeypatch):
    artifact = model_copy / "salary_model.joblib"
    artifact.write_bytes(artifact.read_bytes() + b"tampered")

    def never(*args, **kwargs):
        raise AssertionError("joblib.load reached for a tampered file")

    monkeypatch.setattr(joblib, "load", never)
    with pytest.raises(ModelIntegrityError, match="does not match its model card"):
        load_model(model_copy)


def test_missing_card_is_refused(model_copy):
    (model_copy / "salary_model.json").unlink()
    with pytest.raises(ModelIntegrityError, match="No model card"):
        load_model(model_copy)


def test_other_scikit_learn_minor_version_is_refused_with_advice(model_copy):
    card_path = model_copy / "salary_model.json"
    card = json.loads(card_path.read_text())
    card["libraries"]["scikit-learn"] = "0.99.0"
    card_path.write_text(json.dumps(card))
    with pytest.raises(ModelVersionError, match="Retrain"):
        load_model(model_copy)


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


def test_default_cache_from_another_scikit_learn_is_rebuilt_not_refused(tmp_path, monkeypatch, model_dir):
    from salarymodel import _paths, api

    cache = tmp_path / "cache"
    shutil.copytree(model_dir, cache)
    card_path = cache / "salary_model.json"
    card = json.loads(card_path.read_text())
    card["libraries"]["scikit-learn"] = "0.99.0"
    card_path.write_text(json.dumps(card))
    monkeypatch.setenv(_paths.MODEL_DIR_ENV, str(cache))
    monkeypatch.setattr(api, "_default_model", None)
    model = api.default_model()
    assert model.predict("DE", 4).median > 0
    import sklearn

    assert json.loads(card_path.read_text())["libraries"]["scikit-learn"] == sklearn.__version__


def test_tampered_default_cache_is_refused(tmp_path, monkeypatch, model_dir):
    from salarymodel import _paths, api

    cache = tmp_path / "cache"
    shutil.copytree(model_dir, cache)
    (cache / "salary_model.joblib").write_bytes(b"not a model")
    monkeypatch.setenv(_paths.MODEL_DIR_ENV, str(cache))
    monkeypatch.setattr(api, "_default_model", None)
    with pytest.raises(ModelIntegrityError):
        api.default_model()


def test_pickled_layout_is_pinned_to_the_format_version(model):
    # Changing what a model pickles without bumping FORMAT_VERSION would let
    # old files load into new code and fail later; this pin makes it a choice.
    from dataclasses import fields

    from salarymodel.normalise import MoneyBasis
    from salarymodel.persist import FORMAT_VERSION
    from salarymodel.synthetic import CellDistribution, TrainingPlan

    layout = {
        "CellDistribution": [f.name for f in fields(CellDistribution)],
        "TrainingPlan": [f.name for f in fields(TrainingPlan)],
        "MoneyBasis": [f.name for f in fields(MoneyBasis)],
        "SalaryModel": sorted(model.__getstate__()),
        "SalaryRegressor": sorted(model.estimator.__dict__),
        "MoneyTable": sorted(vars(model.money)),
    }
    assert (FORMAT_VERSION, layout) == (4, {
        "CellDistribution": ["figure_id", "anchors_z", "anchors_log", "tail_slopes", "mean_usd"],
        "TrainingPlan": ["figures", "basis", "levels", "cells", "curves", "effects", "weights"],
        "MoneyBasis": ["reference_year", "per_usd", "aging_used"],
        "SalaryModel": ["aliases", "band_scale_table", "cells", "centre_table", "companies", "countries", "estimator",
                        "local_currency", "median_high_table", "median_low_table", "median_table", "metadata", "money",
                        "plan",
                        "scale_table", "source_lists", "source_table", "support_table"],
        "SalaryRegressor": ["alpha", "band_scale_", "band_scores_", "centre_", "cv", "n_features_in_", "n_knots",
                            "random_state", "scale_", "scores_", "widening"],
        "MoneyTable": ["first_month", "fx_first_month", "fx_last_month", "fx_rates", "local_currency",
                       "reference_month", "reference_per_usd", "wages"],
    })

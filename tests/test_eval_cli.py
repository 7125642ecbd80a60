"""`losscli eval`, `losscli losses NAME`, every loss through the CLI, and plugins."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import numpy as np
import pytest
from conftest import usage_error

from losscli import catalogue
from losscli.catalogue import CATALOGUE, get_loss, plugins
from losscli.data.synthetic import synthetic_classification, synthetic_regression

ROOT = Path(__file__).resolve().parent.parent


def evaluate_json(invoke, *args: str) -> list[dict]:
    result = invoke("eval", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# ---------------------------------------------------------------------------------------------
# eval


def test_eval_prints_value_and_gradient_as_a_table(invoke):
    # Celsius at w1 = 0.5, w2 = 10: errors −22 and −152, MSE (484 + 23104)/2 = 11794;
    # dL/dp_i = 2·e_i/2 = e_i, so dL/dw1 = −152·100 = −15200 and dL/dw2 = −22 − 152 = −174.
    result = invoke("eval", "--loss", "mse", "--w1", "0.5", "--w2", "10", "--dataset", "celsius")
    assert result.exit_code == 0
    assert result.output == (
        "loss   w1  w2  value  dL/dw1  dL/dw2\nMSE   0.5  10  11794  -15200    -174\n"
    )


def test_eval_json_is_a_list_with_one_record_per_loss(invoke):
    records = evaluate_json(
        invoke, "-l", "mse", "-l", "l1", "--w1", "1.8", "--w2", "32", "--dataset", "celsius"
    )
    assert records == [
        {
            "loss": "mse",
            "params": {},
            "w1": 1.8,
            "w2": 32.0,
            "value": 0.0,
            "gradient": {"w1": 0.0, "w2": 0.0},
        },
        {
            "loss": "mae",
            "params": {},
            "w1": 1.8,
            "w2": 32.0,
            "value": 0.0,
            "gradient": {"w1": 0.0, "w2": 0.0},  # the subgradient 0 at the kink
        },
    ]


def test_eval_without_loss_shows_the_lessons_four_with_their_params(invoke):
    records = evaluate_json(invoke, "--w1", "1.5", "--w2", "0.5", "--delta", "0.5")
    assert [(r["loss"], r["params"]) for r in records] == [
        ("mse", {}),
        ("mae", {}),
        ("huber", {"delta": 0.5}),
        ("hinge", {}),
    ]


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_eval_gradient_matches_a_central_difference_in_w1_and_w2(invoke, name):
    # The chain rule through p = w1·x + w2, checked against the mean loss itself.
    loss = get_loss(name)
    params = loss.resolve_params({})
    dataset = synthetic_regression() if loss.task == "regression" else synthetic_classification()
    y = dataset.targets_for(loss.task, name)
    w1, w2, h = 0.7, 0.3, 1e-6

    def mean_at(a: float, b: float) -> float:
        return float(loss.mean(a * dataset.x + b, y, params))

    [record] = evaluate_json(invoke, "--loss", name, "--w1", str(w1), "--w2", str(w2))
    assert record["value"] == pytest.approx(mean_at(w1, w2), rel=1e-15)
    d_w1 = (mean_at(w1 + h, w2) - mean_at(w1 - h, w2)) / (2 * h)
    d_w2 = (mean_at(w1, w2 + h) - mean_at(w1, w2 - h)) / (2 * h)
    assert record["gradient"]["w1"] == pytest.approx(d_w1, rel=1e-6, abs=1e-8)
    assert record["gradient"]["w2"] == pytest.approx(d_w2, rel=1e-6, abs=1e-8)


def test_exponential_overflow_is_null_in_json_and_inf_in_text(invoke):
    args = ("--loss", "exponential", "--w1", "0", "--w2", "-1000", "--dataset", "imbalanced")
    [record] = evaluate_json(invoke, *args)
    # the 10 positives have e^1000 = inf; the gradient sums −inf over them
    assert record["value"] is None and record["gradient"] == {"w1": None, "w2": None}
    text = invoke("eval", *args).output.splitlines()[1].split()
    assert text[:4] == ["Exponential", "0", "-1000", "inf"]


def test_new_parameters_get_options_and_ranges_automatically(invoke):
    help_text = invoke("eval", "--help").output
    for option in ("--beta", "--tau", "--alpha", "--gamma", "--delta"):
        assert option in help_text
    records = evaluate_json(
        invoke, "-l", "focal", "--alpha", "-1", "--gamma", "0", "-l", "logistic",
        "--w1", "2", "--w2", "-1",
    )  # fmt: skip
    assert records[0]["params"] == {"alpha": -1.0, "gamma": 0.0}
    assert records[0]["value"] == pytest.approx(records[1]["value"], rel=1e-15)


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (["-l", "quantile", "--tau", "1"], "--tau", "must be in (0, 1), got 1"),
        (
            ["-l", "focal", "--alpha", "2"],
            "--alpha",
            "must be in [0, 1], or -1 for no class weighting, got 2",
        ),
        (["-l", "smooth-l1", "--beta", "0"], "--beta", "must be > 0, got 0"),
        (
            ["-l", "mse", "--gamma", "1"],
            "--gamma",
            "applies to focal, which is not among the chosen losses",
        ),
        (["-l", "expr:p.real"], "--loss", "expr: refused attribute access 'p.real'"),
    ],
)
def test_eval_usage_errors_name_the_option(invoke, args, option, message):
    result = invoke("eval", *args, "--w1", "1", "--w2", "0")
    assert result.exit_code == 2
    last = result.output.splitlines()[-1]
    assert last.startswith(f"Error: Invalid value for '{option}': {message}")


def test_eval_needs_w1_and_w2(invoke):
    result = invoke("eval", "--w1", "1")
    assert result.exit_code == 2
    assert "Missing option '--w2'" in result.output


# ---------------------------------------------------------------------------------------------
# losses NAME, and every loss in surface


def test_losses_name_shows_one_loss_in_full(invoke):
    output = invoke("losses", "pinball").output
    assert output.splitlines()[0] == "quantile — Quantile"
    for line in (
        "  task       regression",
        "  formula    tau·max(y − p, 0) + (1 − tau)·max(p − y, 0)",
        "  gradient   dℓ/dp = −tau if p < y, 1 − tau if p > y, 0 at p = y",
        "  convex     yes, in (w1, w2)",
        "  aliases    pinball",
        "  params     --tau 0.5  (in (0, 1))  Quantile to fit.",
    ):
        assert line in output.splitlines()
    assert "  advice     Use it to predict a bound" in output


def test_losses_name_json_and_the_list(invoke):
    focal = json.loads(invoke("losses", "focal", "--format", "json").output)
    assert focal["params"][0]["range"] == "in [0, 1], or -1 for no class weighting"
    assert focal["convex"] is False
    listed = json.loads(invoke("losses", "--format", "json").output)
    assert [entry["name"] for entry in listed] == [*CATALOGUE, "cross-entropy", "one-hot-mse"]
    assert [entry["task"] for entry in listed[-2:]] == ["multiclass", "multiclass"]
    usage_error(
        invoke("losses", "nope"),
        "--loss",
        "unknown loss 'nope'; known losses: " + ", ".join(CATALOGUE) + ", or expr:FORMULA",
    )


def test_losses_name_takes_a_formula(invoke):
    output = invoke("losses", "expr:abs(p - y)**1.5").output
    assert output.splitlines()[0] == "expr:abs(p - y)**1.5 — abs(p - y)**1.5"
    assert "  gradient   dℓ/dp = central finite difference in p" in output


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_every_loss_draws_a_surface_on_its_tasks_lesson_data(invoke, name):
    result = invoke("surface", "--loss", name, "--steps", "5", "--format", "json")
    [surface] = json.loads(result.output)["surfaces"]
    assert surface["loss"] == name and surface["data"]["task"] == CATALOGUE[name].task
    assert len(surface["values"]) == 5 and surface["minimum"] is not None


def test_a_formula_draws_a_surface_equal_to_the_catalogues(invoke):
    mine = invoke("surface", "--loss", "expr:(p - y)**2", "--steps", "7", "--format", "json")
    mse = invoke("surface", "--loss", "mse", "--steps", "7", "--format", "json")
    np.testing.assert_allclose(
        json.loads(mine.output)["surfaces"][0]["values"],
        json.loads(mse.output)["surfaces"][0]["values"],
        rtol=1e-15,
    )


# ---------------------------------------------------------------------------------------------
# Plugins


@pytest.fixture
def restored_catalogue():
    """Undo whatever a test registers in the catalogue."""
    with catalogue.restored():
        yield


PLUGIN_SOURCE = textwrap.dedent(
    '''
    """A loss from another package: Cauchy's log(1 + (e/scale)²), robust to outliers."""

    from losscli.lazy import lazy_import
    from losscli.catalogue import Loss, Param

    np = lazy_import("numpy")


    def cauchy(p, y, *, cauchy_scale=1.0):
        """log(1 + (e/scale)²)."""
        return np.log1p(((p - y) / cauchy_scale) ** 2)


    def cauchy_gradient(p, y, *, cauchy_scale=1.0):
        e = p - y
        return 2.0 * e / (cauchy_scale**2 + e * e)


    CAUCHY = Loss(
        name="cauchy",
        label="Cauchy",
        task="regression",
        summary="Cauchy loss: logarithmic in the error, so outliers barely count.",
        formula="log(1 + (e/scale)²)",
        gradient_formula="2·e/(scale² + e²)",
        value=cauchy,
        gradient=cauchy_gradient,
        params=(Param("cauchy_scale", 1.0, "Cauchy's error scale.", low=0.0),),
        aliases=("lorentzian",),
        convex=False,
        advice="Use it when outliers are wild; avoid it for a convex problem.",
    )
    NOT_A_LOSS = 42
    SHADOW = Loss(
        name="shadow",
        label="Shadow",
        task="regression",
        summary="A loss whose parameter takes the name of losscli's own --seed.",
        formula="e²",
        gradient_formula="2·e",
        value=cauchy,
        gradient=cauchy_gradient,
        params=(Param("seed", 1.0, "Clashes with the synthetic data's --seed."),),
    )
    '''
)


def test_a_plugin_registered_through_the_entry_point_seam_works_in_the_cli(
    invoke, tmp_path, monkeypatch, restored_catalogue
):
    (tmp_path / "losscli_cauchy.py").write_text(PLUGIN_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    found = [
        EntryPoint("cauchy", "losscli_cauchy:CAUCHY", "losscli.losses"),
        EntryPoint("answer", "losscli_cauchy:NOT_A_LOSS", "losscli.losses"),
        EntryPoint("gone", "losscli_missing_module:LOSS", "losscli.losses"),
        EntryPoint("twice", "losscli_cauchy:CAUCHY", "losscli.losses"),
    ]
    monkeypatch.setattr(plugins, "entry_points", lambda: found)
    catalogue.load_plugins()
    assert get_loss("lorentzian").name == "cauchy"
    # Celsius at w1 = 1.8, w2 = 22: both errors are −10, log(1 + 100) each
    [record] = evaluate_json(
        invoke, "--loss", "cauchy", "--dataset", "celsius", "--w1", "1.8", "--w2", "22"
    )
    assert record["value"] == pytest.approx(math.log(101), rel=1e-14)
    assert record["gradient"]["w2"] == pytest.approx(2 * (-10 / 101), rel=1e-14)
    # the broken ones are skipped, named on `losses`, and explained when asked for
    assert catalogue.PLUGIN_PROBLEMS == {
        "answer": "TypeError: losscli_cauchy:NOT_A_LOSS is a int, not a losscli Loss",
        "gone": "ModuleNotFoundError: No module named 'losscli_missing_module'",
        "twice": "ValueError: loss name 'cauchy' is taken, not lower case, or reserved",
    }
    listing = invoke("losses")
    rows = [line.split() for line in listing.stdout.splitlines()]
    cauchy = next(i for i, row in enumerate(rows) if row[:1] == ["cauchy"])
    assert rows[cauchy][-2:] == ["--cauchy-scale", "1"]  # the option, as typed
    assert rows[cauchy + 1] == ["(lorentzian)"]  # the alias, wrapped under the name
    assert "Warning: plugin loss 'gone' was not loaded: ModuleNotFoundError" in listing.stderr
    usage_error(
        invoke("eval", "--loss", "gone", "--w1", "0", "--w2", "0"),
        "--loss",
        "plugin loss 'gone' failed to load (ModuleNotFoundError: No module named "
        "'losscli_missing_module')",
    )


def test_an_installed_plugin_package_gets_its_options_without_importing_numpy(tmp_path):
    """A real distribution on the path: its dist-info declares the entry point."""
    (tmp_path / "losscli_cauchy.py").write_text(PLUGIN_SOURCE)
    info = tmp_path / "losscli_cauchy-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: losscli-cauchy\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[losscli.losses]\ncauchy = losscli_cauchy:CAUCHY\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, capture_output=True, text=True, env=env, check=False)

    args = ("--loss", "cauchy", "--cauchy-scale", "10", "--dataset", "celsius", "--w1", "1.8")
    result = run(sys.executable, "-m", "losscli", "eval", *args, "--w2", "22", "--format", "json")
    assert result.returncode == 0, result.stderr
    # errors −10 on scale 10: log(1 + 1) = log 2
    assert json.loads(result.stdout)[0]["value"] == pytest.approx(math.log(2), rel=1e-14)
    probe = "import sys, losscli.cli, losscli.catalogue as l; print('cauchy' in l.CATALOGUE, 'numpy' in sys.modules)"
    assert run(sys.executable, "-c", probe).stdout.split() == ["True", "False"]


def test_a_plugin_parameter_that_would_shadow_an_own_option_withdraws_its_loss(
    invoke, tmp_path, monkeypatch, restored_catalogue
):
    from losscli.cli.app import withdraw_shadowing_plugins

    (tmp_path / "losscli_cauchy.py").write_text(PLUGIN_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    found = [EntryPoint("shadow", "losscli_cauchy:SHADOW", "losscli.losses")]
    monkeypatch.setattr(plugins, "entry_points", lambda: found)
    catalogue.load_plugins()
    assert "shadow" in catalogue.CATALOGUE
    withdraw_shadowing_plugins()
    assert "shadow" not in catalogue.CATALOGUE and "seed" not in catalogue.all_params()
    reason = "its parameter --seed would shadow losscli's own option"
    assert dict(catalogue.PLUGIN_PROBLEMS) == {"shadow": reason}
    usage_error(
        invoke("eval", "--loss", "shadow", "--w1", "0", "--w2", "0"),
        "--loss",
        f"plugin loss 'shadow' failed to load ({reason})",
    )
    assert invoke("surface", "--seed", "3", "--steps", "3", "--format", "json").exit_code == 0


def test_plugin_discovery_runs_only_where_metadata_names_the_group(tmp_path):
    """The pre-scan that spares start-ups importlib.metadata: yes only for the group's header."""
    site = tmp_path / "site"
    (site / "other-1.0.dist-info").mkdir(parents=True)
    (site / "other-1.0.dist-info" / "entry_points.txt").write_text("[console_scripts]\nx = y:z\n")
    (site / "bare-1.0.dist-info").mkdir()  # no entry points at all
    assert not plugins.may_have_plugins([str(site), str(tmp_path / "missing")])
    egg = site / "cauchy-1.0.egg-info"
    egg.mkdir()
    (egg / "entry_points.txt").write_text("[losscli.losses]\ncauchy = losscli_cauchy:CAUCHY\n")
    assert plugins.may_have_plugins([str(site)])

"""Every core: a sweep's surface is the same bit for bit whatever the count of processes, since
each method's columns are the same however they are split; the count is the user's to set
(`--workers`, `LOSSCLI_WORKERS`), one meaning no other process at all."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.catalogue import get_loss, regression
from losscli.catalogue.classification import BCE_FORM
from losscli.data.synthetic import synthetic_classification, synthetic_regression
from losscli.engine import Axis, binned, binned_forms, binned_plan, piecewise, sweep, workers

W1, W2 = Axis("w1", -2, 4, 57), Axis("w2", -30, 30, 43)  # w2 past bce's kinks at ±16.1
REGRESSION = synthetic_regression(n=4000, outliers=0.05)
CLASSIFICATION = synthetic_classification(n=4000, flip=0.1)


@pytest.fixture(autouse=True)
def every_core():
    yield
    workers.use(None)


def columns_of(name: str):
    """A method's column function, its work and columns, and the blocks of columns it must be
    cut at (bce's corrections: BLAS's products of a block of columns may differ in the last
    bit with their count)."""
    w1 = W1.values
    if name == "piecewise":
        shape = regression.huber_shape(delta=0.7)
        groups = piecewise.groups_for(shape, REGRESSION.x, REGRESSION.y)
        return piecewise.sweep_columns, piecewise.prepare(groups, w1, W2), w1, 1
    targets = CLASSIFICATION.targets_for("classification", "logistic")
    if name == "binned":
        loss = get_loss("logistic")
        with np.errstate(all="ignore"):
            plan = binned_plan.plan_for(loss, {}, CLASSIFICATION.x, targets, w1, W2)
        return binned.swept_columns, binned.Columns(plan, W2, binned.TOLERANCE, 0.5), w1, 1
    kinks = binned_forms.Kinks.of(BCE_FORM, CLASSIFICATION.x, targets, W2)
    wide = Axis("w1", -2, 4, 4 * binned_forms.COLUMN_BLOCK - 9).values
    return binned_forms.kink_columns, kinks, wide, binned_forms.COLUMN_BLOCK


@pytest.mark.parametrize("name", ["piecewise", "binned", "kinks"])
@settings(max_examples=20, deadline=None)
@given(cuts=st.sets(st.integers(1, W1.steps - 1), max_size=8))
def test_each_methods_columns_are_the_same_however_split(name, cuts):
    function, work, w1, grain = columns_of(name)
    whole = function(work, w1, None)
    assert np.any(whole != 0.0)  # a sweep with something in it (bce: points past a kink)
    edges = sorted({0, *(cut * grain for cut in cuts if cut * grain < len(w1)), len(w1)})
    parts = [function(work, w1[a:b], None) for a, b in itertools.pairwise(edges)]
    assert np.array_equal(np.concatenate(parts, axis=1), whole)


@pytest.mark.parametrize(
    ("loss", "method"),
    [("mae", "piecewise"), ("huber", "piecewise"), ("logistic", "binned"), ("bce", "binned")],
)
@pytest.mark.parametrize("count", [2, 3, 4])
def test_a_surface_is_the_same_bit_for_bit_whatever_the_count(loss, method, count):
    chosen = get_loss(loss)
    data = REGRESSION if chosen.task == "regression" else CLASSIFICATION
    sweeps = []
    for processes in (1, count):
        workers.use(processes)
        surface = sweep(chosen, {}, data, W1, W2, method=method)
        sweeps.append(surface)
    assert sweeps[0].method == sweeps[1].method == method
    assert np.array_equal(sweeps[0].values, sweeps[1].values)
    assert sweeps[0].error == sweeps[1].error


@pytest.mark.parametrize("value", ["0", "-3", "abc", "1.5", "257", "²"])
@pytest.mark.parametrize("command", ["surface", "descend"])
def test_a_bad_count_of_workers_is_a_usage_error(invoke, command, value):
    result = invoke(command, "--workers", value)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--workers': must be a whole number of processes from 1 to "
        f"256, got {value!r}"
    )


@pytest.mark.parametrize("value", ["0", "many"])
def test_a_bad_count_in_the_environment_names_the_variable(invoke, value):
    result = invoke("surface", "--loss", "mse", env={"LOSSCLI_WORKERS": value})
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for 'LOSSCLI_WORKERS': must be a whole number of processes "
        f"from 1 to 256, got {value!r}"
    )


LONG = ["surface", "--loss", "mae", "--n", "100000", "--steps", "201", "--format", "json"]
"""A sweep of about 0.1 s on one core: long enough to share."""


@pytest.mark.parametrize(
    ("args", "env", "started"),
    [
        (["--workers", "1"], {}, 0),
        ([], {"LOSSCLI_WORKERS": "1"}, 0),
        (["--workers", "3"], {"LOSSCLI_WORKERS": "1"}, 2),  # the option wins
        ([], {"LOSSCLI_WORKERS": "2"}, 1),
    ],
)
def test_the_count_of_workers_is_the_users(invoke, args, env, started):
    workers.stop_workers()
    result = invoke(*LONG, *args, env=env)
    assert result.exit_code == 0, result.stderr
    assert len(workers.worker_pids()) == started
    workers.stop_workers()


def test_one_process_gives_the_same_document(invoke):
    alone = invoke(*LONG, "--workers", "1")
    shared = invoke(*LONG, "--workers", "2")
    assert alone.stdout == shared.stdout


def test_the_lessons_surface_starts_no_worker_and_loads_no_process_pool():
    """Start-up stays as it was: the default sweeps are too short to share."""
    script = (
        "import contextlib, io, sys; from losscli.cli import main; sys.argv[1:] = ['surface']\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main()\n"
        "print(sorted({'multiprocessing', 'concurrent.futures'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"[]\n", b"")

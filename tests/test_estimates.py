"""Estimates that read the data where the cost depends on it (issue 15: honest estimates).

No timings here (they belong to benchmarks/bench_estimates.py): these tests check the
estimate's inputs. The binned method's cost depends on the window and the data, not only on
their sizes: a wider window spreads the residuals over more nodes, and exponential's sums then
span more decades, so more of its cells are summed again without the FFT. Its estimate is made
from its plan and a probe of a few columns, and `--max-seconds` refuses on it, up front.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from losscli import engine
from losscli.catalogue import get_loss
from losscli.cli import cli
from losscli.data.synthetic import synthetic_classification, synthetic_regression
from losscli.engine import Axis, expect
from losscli.engine.binned import TOLERANCE, probe
from losscli.engine.binned_forms import PER_PAIR, form_seconds, kink_share
from losscli.engine.binned_kernels import kernel_sums
from losscli.engine.binned_plan import plan_for
from losscli.engine.piecewise import SHAPE_WEIGHTS, STEP_WEIGHTS, shape_weight, step_weight
from losscli.limits import above, duration

LESSON = (Axis("w1", -2, 4, 1001), Axis("w2", -2, 4, 1001))
WIDE = (Axis("w1", -2, 8, 1001), Axis("w2", -3, 3, 1001))
"""The issue's wide window, on a grid of 1001 × 1001 cells."""

EXPONENTIAL = get_loss("exponential")
FOCAL = get_loss("focal")
FOCAL_PARAMS = FOCAL.resolve_params({})


def test_the_wide_window_plans_more_nodes_and_the_estimate_grows_with_them():
    """focal's sums span many decades over the wide window (exponential's, which did too,
    are now a product: `losscli.engine.factored`)."""
    data = synthetic_classification(n=10_000)
    targets = data.targets_for("classification", "focal")
    nodes, terms, seconds = {}, {}, {}
    for name, (w1, w2) in (("lesson", LESSON), ("wide", WIDE)):
        plan = plan_for(FOCAL, FOCAL_PARAMS, data.x, targets, w1.values, w2)
        nodes[name] = sum(group.nodes for group in plan.groups)
        terms[name] = probe(plan, w1.values, w2).terms
        method, seconds[name] = expect(FOCAL, FOCAL_PARAMS, len(data), w1, w2, dataset=data)
        assert method == "binned"
    # w1 up to 8 instead of 4 moves w1·x over about twice the range: more nodes per column
    assert nodes["wide"] > 1.5 * nodes["lesson"]
    # and more kernel terms to sum again, per column, where the FFT's rounding is too coarse
    assert terms["wide"] > 2 * terms["lesson"]
    assert seconds["wide"] > 1.5 * seconds["lesson"]
    # without the data the estimate cannot tell the windows apart: what the issue saw
    blind = [expect(FOCAL, FOCAL_PARAMS, len(data), *axes)[1] for axes in (LESSON, WIDE)]
    assert blind[0] == blind[1] < seconds["wide"]


def test_the_probe_counts_the_columns_summed_again_where_it_sees_every_column():
    """On 16 columns the probe sweeps them all: its share of columns with a cell over the
    bound is exactly the sweep's (`kernel_sums` and the plan's bounds, as `binned_means`)."""
    data = synthetic_classification(n=10_000)
    targets = data.targets_for("classification", "exponential")
    w1, w2 = Axis("w1", -2, 8, 16), Axis("w2", -3, 3, 16)
    plan = plan_for(EXPONENTIAL, {}, data.x, targets, w1.values, w2)
    found = probe(plan, w1.values, w2)
    over = plan.bound(kernel_sums(plan.groups, w1.values, w2)) > TOLERANCE
    assert found.resummed == pytest.approx(over.any(axis=0).mean(), abs=1e-15)
    assert 0.0 < found.resummed < 1.0  # some columns, not all (14 of 16 when written)
    assert found.direct == 0.0  # exponential is nowhere near 0 at nearly every point


def test_a_regression_estimate_grows_with_the_positions_each_column_spreads():
    """log-cosh's points are not binned onto (x, y) nodes at these sizes (the plane's rows
    would cost more): every column spreads every point, so four times the points is about
    four times the columns' cost."""
    loss, w = get_loss("log-cosh"), Axis("w", -2, 4, 201)
    positions, seconds = [], []
    for n in (2_500, 10_000):
        data = synthetic_regression(n=n)
        plan = plan_for(loss, {}, data.x, data.y, w.values, w)
        positions.append(sum(len(group.x) for group in plan.groups))
        seconds.append(expect(loss, {}, n, w, w, "binned", dataset=data)[1])
    assert positions == [2_500, 10_000]
    assert 3.0 < seconds[1] / seconds[0] < 4.0


@pytest.mark.parametrize(
    ("name", "weight"),
    [
        ("mae", "linear"),
        ("quantile", "linear"),
        ("hinge", "linear"),
        ("huber", "curved"),
        ("smooth-l1", "curved"),
        ("squared-hinge", "curved"),
        ("zero-one", "jump"),
    ],
)
def test_each_piecewise_shape_is_costed_by_its_work_per_point(name, weight):
    """One linear break bins a count and a sum; squares and cuts need φ and φ² too; a jump
    checks each point's bin against the grid's values (the kinds written out here by hand)."""
    loss = get_loss(name)
    assert shape_weight(loss.description(loss.resolve_params({}))) == SHAPE_WEIGHTS[weight]


@pytest.mark.parametrize(
    ("name", "weight"),
    [
        ("mae", STEP_WEIGHTS["linear"]),
        ("hinge", STEP_WEIGHTS["linear"]),
        ("squared-hinge", STEP_WEIGHTS["curved"]),  # one break: (1 − t·p)² below it, 0 above
        ("huber", 2 * STEP_WEIGHTS["curved"]),  # two breaks, at ±delta
        ("smooth-l1", 2 * STEP_WEIGHTS["curved"]),  # two breaks, at ±beta
    ],
)
def test_each_piecewise_shape_is_costed_by_its_work_per_step(name, weight):
    """Combining a w2 step runs sums on either side of each break: a curved shape's cost is
    per break, and its estimate grows with the grid's rows faster than mae's."""
    loss = get_loss(name)
    assert step_weight(loss.description(loss.resolve_params({}))) == weight
    few, many = (
        expect(loss, {}, 10_000, LESSON[0], Axis("w2", -2, 4, rows)) for rows in (11, 1001)
    )
    mae = [expect(get_loss("mae"), {}, 10_000, LESSON[0], Axis("w2", -2, 4, r)) for r in (11, 1001)]
    assert few[0] == many[0] == "piecewise"
    assert (many[1] - few[1] > mae[1][1] - mae[0][1]) == (weight > STEP_WEIGHTS["linear"])


def test_bce_is_estimated_by_the_pairs_past_its_kinks_in_the_window():
    """bce's corrections read only the points past a kink (|t·p| > 16.1): none on the lesson's
    window, every point on some row where w2 ∈ [10, 30] (p ≥ 10 − 4·1 and ≤ 30 + 4: t = +1
    passes the upper kink, t = −1 the lower one), and each such point-column pair costs the
    estimate PER_PAIR, on one core."""
    bce, data = get_loss("bce"), synthetic_classification(n=10_000)
    targets = data.targets_for("classification", "bce")
    far = Axis("w2", 10, 30, 1001)
    assert kink_share(bce, data.x, targets, LESSON[0].values, LESSON[1]) == 0.0
    assert kink_share(bce, data.x, targets, LESSON[0].values, far) == 1.0
    seconds = [form_seconds(bce, 10_000, 1001, lambda p, c: 0.0, share) for share in (0.0, 1.0)]
    assert seconds[1] - seconds[0] == pytest.approx(PER_PAIR * 10_000 * 1001)
    for w2 in (LESSON[1], far):
        assert expect(bce, {}, len(data), LESSON[0], w2, dataset=data)[0] == "binned"


@pytest.mark.parametrize("name", ["bce", "dice"])
def test_a_form_of_few_points_is_estimated_from_logistics_plan_for_them(name):
    """Without the data a binned sum is costed at its most positions a column (4096); 10⁴
    points over the lesson's window spread on a few hundred nodes, which the plan knows."""
    loss, data = get_loss(name), synthetic_classification(n=10_000)
    w = Axis("w", -2, 4, 201)
    planned = expect(loss, {}, len(data), w, w, dataset=data)
    blind = expect(loss, {}, len(data), w, w)
    assert planned[0] == blind[0] == "binned"
    assert planned[1] < blind[1] / 2


def test_max_seconds_refuses_a_wide_binned_sweep_up_front(monkeypatch):
    """focal on the issue's wide window (exponential's was the issue's case; it is now a
    product, `losscli.engine.factored`, and takes hundredths of a second there)."""

    def no_sweep(*args, **kwargs):
        raise AssertionError("the sweep started")

    monkeypatch.setattr(engine, "sweep", no_sweep)
    data = synthetic_classification(n=10_000)  # what --n 10000 makes
    method, seconds = expect(FOCAL, FOCAL_PARAMS, 10_000, *WIDE, dataset=data)
    assert method == "binned" and seconds > 0.3
    args = ["surface", "-l", "focal", "--n", "10000", "--steps", "1001"]
    args += ["--w1-range", "-2", "8", "--w2-range", "-3", "3", "--format", "json"]
    result = CliRunner().invoke(cli, [*args, "--max-seconds", "0.3"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--max-seconds': the sweep would take about "
        f"{duration(seconds)} (focal by the binned method: 1001 × 1001 cells × 10000 "
        f"points), more than 0.3 s; give --max-seconds {above(seconds)} to run it anyway, or "
        "use fewer steps or points"
    )

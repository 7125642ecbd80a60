"""Hostile sizes and values: refused up front with the estimate, drawn honestly, never a trace.

Sizes: work the engine expects to take longer than --max-seconds, and arrays past half the
machine's memory, are usage errors before anything is allocated. Values: overflow is its own
band in the legend and null (with a note) in JSON; a constant surface still draws; a
classification set of one class is a warning. (A failing worker: test_workers.py.)
"""

from __future__ import annotations

import json
import tracemalloc

import pytest
from click.testing import CliRunner, Result

from losscli import limits
from losscli.catalogue import CATALOGUE, get_loss
from losscli.cli import cli
from losscli.data.synthetic import synthetic_regression
from losscli.descent.walk import COST as walk_cost
from losscli.descent.walk import Settings, descend
from losscli.engine import Axis, expect, piecewise, sweep, workers
from losscli.engine.budget import check_time
from losscli.engine.method import Job
from losscli.errors import ParameterError
from losscli.limits import Deadline, duration

CLEAN_ENV = {
    "COLUMNS": None,
    "NO_COLOR": None,
    "FORCE_COLOR": None,
    "TERM": "xterm",
    "COLORTERM": None,
}
"""Where colour is forced, a 16-colour terminal (Docker's TERM=xterm), whatever runs the tests."""
GIB = 1 << 30


def run(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env=CLEAN_ENV)


def error_line(result: Result) -> str:
    """The one `Error:` line of a usage error (Click puts the usage and a hint above it)."""
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    return line


@pytest.fixture
def sixteen_gib(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine with 16 GiB of memory, whatever this one has: exact messages."""
    monkeypatch.setattr(limits, "physical_memory", lambda: 16 * GIB)


# ---------------------------------------------------------------------------------------------
# Sizes.


LARGE = Axis("w", -2, 4, 1001)
"""1001 grid lines over the lesson's window."""


def refusal(loss: str, method: str = "auto") -> tuple[str, str]:
    """What the refusal of `loss` on LARGE over a million points says, up to the suggested
    limit and after it, by the engine's own estimate."""
    chosen, seconds = expect(get_loss(loss), {}, 10**6, LARGE, LARGE, method)
    head = (
        f"Error: Invalid value for '--max-seconds': the sweep would take about {duration(seconds)} "
        f"({loss} by the {chosen} method: 1001 × 1001 cells × 1000000 points), more than 60 s; "
        "give --max-seconds "
    )
    return head, " to run it anyway, or use fewer steps or points"


def suggested(line: str, head: str, tail: str) -> int:
    """The limit a refusal suggests, checked to sit between the two parts of its text."""
    assert line.startswith(head) and line.endswith(tail), line
    return int(line[len(head) : -len(tail)])


FORMULA = "expr:abs(p - y)**1.5"
"""A loss with no fast method: nothing declares a formula's structure."""


def test_a_sweep_expected_to_take_hours_is_refused_with_the_estimate():
    result = run("surface", "--loss", FORMULA, "--steps", "1001", "--n", "1000000")
    assert result.exit_code == 2 and result.stdout == ""
    head, tail = refusal(FORMULA)
    method, seconds = expect(get_loss(FORMULA), {}, 10**6, LARGE, LARGE)
    assert method == "direct" and seconds > 3600  # hours: a formula has no fast method
    # the suggestion is the estimate rounded up in two significant digits
    limit = suggested(error_line(result), head, tail)
    assert seconds < limit <= seconds * 1.1 and len(str(limit).rstrip("0")) <= 2


def test_a_smooth_loss_at_that_size_runs_binned_and_direct_is_refused():
    """Logistic has the binned approximation: well under a second, where direct takes 5 h."""
    method, seconds = expect(get_loss("logistic"), {}, 10**6, LARGE, LARGE)
    assert method == "binned" and seconds < 1.0
    direct = run(
        "surface", "--loss", "logistic", "--steps", "1001", "--n", "1000000", "--method", "direct"
    )
    assert direct.exit_code == 2
    suggested(error_line(direct), *refusal("logistic", "direct"))


def test_the_same_size_runs_when_the_engine_has_a_fast_method():
    """MSE's quadratic sweep at 1001 × 1001 cells and a million points: about 0.01 s."""
    method, seconds = expect(get_loss("mse"), {}, 10**6, LARGE, LARGE)
    assert method == "quadratic" and seconds < 0.1
    result = run("surface", "--loss", "mse", "--steps", "1001", "--n", "1000000", "--width", "40")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


def test_several_panels_add_up_and_a_raised_limit_lets_them_run():
    args = ["surface", "--steps", "301", "--n", "20000"]  # the lesson's four losses
    refused = run(*args, "--max-seconds", "0.02")  # each histogram sweep: about 0.02 s
    assert refused.exit_code == 2
    assert "4 panels in all" in error_line(refused)
    assert "give --max-seconds" in error_line(refused)
    w = Axis("w", -2, 4, 301)
    jobs = [Job(get_loss(name), {}, 20000, w, w) for name in ("mse", "mae", "huber", "hinge")]
    check_time(jobs, "auto", max_seconds=60.0)  # no error under 60 s


def test_descend_checks_its_map_too():
    result = run(
        "descend", "--loss", FORMULA, "--grid-steps", "1001", "--n", "1000000", "--steps", "1"
    )
    assert result.exit_code == 2
    suggested(error_line(result), *refusal(FORMULA))


@pytest.mark.parametrize(
    ("fork", "start"), [(True, workers.FORK_START), (False, workers.SPAWN_START)]
)
@pytest.mark.parametrize("cores", [2, 16])
def test_a_long_piecewise_sweep_counts_its_share_of_the_cores(monkeypatch, fork, start, cores):
    workers.stop_workers()  # none running: the first sweep starts them
    monkeypatch.setattr(workers, "cores", lambda: cores)
    monkeypatch.setattr(workers, "can_fork", lambda: fork)
    # the method's own cost model, on one core
    one = piecewise.METHOD.seconds(Job(get_loss("mae"), {}, 10**6, LARGE, LARGE))
    # forks start one by one, fresh interpreters all at once; then the rest in k parts
    start = workers.SWEEP_START + (start * (cores - 1) if fork else start)
    assert expect(get_loss("mae"), {}, 10**6, LARGE, LARGE) == (
        "piecewise",
        pytest.approx(start + (one - start) / cores),
    )


def test_a_grid_that_would_not_fit_in_memory_is_refused(sixteen_gib):
    result = run("surface", "--loss", "mse", "--steps", "100000")
    assert result.exit_code == 2
    # 1e10 cells · 32 bytes = 3.2e11 bytes = 298 GiB, over half of 16 GiB
    assert error_line(result) == (
        "Error: Invalid value for '--steps': 100000 × 100000 cells would need about 298 GiB of "
        "memory, more than half of this machine's 16 GiB; use fewer steps"
    )
    result = run("descend", "--w1-steps", "30000", "--w2-steps", "30000")
    assert result.exit_code == 2
    assert error_line(result).startswith("Error: Invalid value for '--grid-steps': 30000 × 30000")
    result = run("surface", "--steps", "12000")  # 4 panels: 4 · 1.44e8 cells · 32 B = 17.2 GiB
    assert "12000 × 12000 cells × 4 panels would need about 17.2 GiB" in error_line(result)


def test_huge_synthetic_data_is_refused_before_it_is_drawn(sixteen_gib):
    result = run("data", "--n", "10000000000")
    assert result.exit_code == 2 and result.stdout == ""
    # 1e10 points · 250 bytes = 2.5e12 bytes = 2.27 TiB; 8 GiB / 250 B = 34359738 points
    assert error_line(result) == (
        "Error: Invalid value for '--n': 10000000000 points would need about 2.27 TiB of memory, "
        "more than half of this machine's 16 GiB; ask for at most 34359738"
    )
    assert run("surface", "--n", "10000000000").exit_code == 2
    assert run("data", "--dataset", "separable", "--n", "10000000000").exit_code == 2


SLOW_FORMULA = "expr:" + "+".join(["exp(sin(p-y))"] * 34)
"""34 sines and exponentials a point: measured at 186 times mse's cost per point."""


def test_a_formula_is_estimated_by_its_operations():
    # units of one subtraction (expr.FUNCTIONS costs): sub 1 + sin 6.8 + exp 1, over mse's 1.8
    assert get_loss("expr:exp(sin(p - y))").cost == pytest.approx((1 + 6.8 + 1) / 1.8)
    assert get_loss(SLOW_FORMULA).cost > 150  # where it used to count as one mse
    assert get_loss("expr:abs(p - y)").cost == 1.0  # never below mse's


def test_a_slow_formula_is_refused_before_it_runs():
    result = run("surface", "--loss", SLOW_FORMULA, "--steps", "1001", "--n", "2000")
    assert result.exit_code == 2 and result.stdout == ""
    assert error_line(result).startswith(
        "Error: Invalid value for '--max-seconds': the sweep would take about "
    )
    assert "(expr:exp(sin(p-y))+exp(sin(p-y))+exp(... by the direct method" in error_line(result)


def test_a_sweep_past_its_deadline_stops_with_how_far_it_got():
    data = synthetic_regression(n=2000)
    with pytest.raises(ParameterError) as stopped:
        sweep(get_loss("log-cosh"), {}, data, LARGE, Axis("w2", -2, 4, 41), deadline=Deadline(0.0))
    assert stopped.value.field == "max_seconds"
    message = str(stopped.value)
    assert message.startswith(
        "max_seconds: the work ran past 0 s (log-cosh by the direct method was "
    )
    assert "% done, about " in message and message.endswith(
        " to let it finish, or use fewer steps or points"
    )


def test_a_walk_past_its_deadline_stops_too():
    with pytest.raises(ParameterError, match=r"the work ran past 0 s \(the gd walk was 51% done"):
        descend(
            get_loss("mse"), {}, synthetic_regression(), (-2.0, 4.0), "gd",
            Settings(steps=500, tol=0.0), deadline=Deadline(0.0),
        )  # fmt: skip


def test_walks_that_would_not_fit_in_memory_are_refused(sixteen_gib):
    result = run("descend", "--steps", "2000000000", "--optimizer", "gd", "--optimizer", "adam")
    # 2 walks · (2e9 + 1) steps · 40 bytes = 1.6e11 bytes = 149 GiB, over half of 16 GiB
    assert error_line(result) == (
        "Error: Invalid value for '--steps': 2 × 2000000000 steps would need about 149 GiB of "
        "memory, more than half of this machine's 16 GiB; ask for at most 107374181"
    )


def test_walks_count_against_the_time_limit():
    settings = Settings(steps=10**8)
    walked = walk_cost.seconds(get_loss("mse"), 40, settings, 1)
    result = run("descend", "--steps", str(10**8))
    assert error_line(result).startswith(
        "Error: Invalid value for '--max-seconds': the walks would take about "
        f"{duration(walked)} (1 × 100000000 steps over 40 points), "
    )


def test_physical_memory_is_known_here():
    assert limits.physical_memory() > 256 << 20


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(0.5, "0.5 s"), (60, "60 s"), (600, "10 min"), (6012, "1.7 h"), (4e5, "4.6 days")],
)
def test_durations_read_as_people_say_them(seconds, said):
    assert duration(seconds) == said


@pytest.mark.parametrize(
    "method", ["direct", "piecewise", "quadratic"], ids=["direct", "piecewise", "quadratic"]
)
def test_below_the_limits_memory_stays_bounded_by_the_blocks(method):
    """20000 points on 40 × 40 cells: all predictions at once would be 256 MB; the engine
    holds blocks of them (2 MiB for direct, cache-sized bins for piecewise)."""
    data = synthetic_regression(n=20000)
    loss = get_loss("huber" if method == "piecewise" else "mse")
    axes = Axis("w1", -2, 4, 40), Axis("w2", -2, 4, 40)
    tracemalloc.start()
    try:
        sweep(loss, loss.resolve_params({}), data, *axes, method=method)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


# ---------------------------------------------------------------------------------------------
# Values.

EXTREMES = [("-1e300", "1e300"), ("-2000", "2000")]


@pytest.mark.parametrize("loss", sorted(CATALOGUE))
def test_extreme_windows_draw_without_a_warning_for_every_loss(loss):
    """The suite turns warnings into errors: numpy's overflow warnings would fail this."""
    for low, high in EXTREMES:
        window = ["--w1-range", low, high, "--w2-range", low, high]
        result = run("surface", "--loss", loss, *window, "--steps", "5", "--format", "json")
        assert result.exit_code == 0, result.stderr
        assert result.stderr == ""
        json.loads(result.stdout)  # strict: no NaN or Infinity tokens


def test_overflow_is_its_own_band_in_the_legend():
    args = ["surface", "--loss", "exponential", "--w1-range", "-2000", "2000", "--steps", "7"]
    plain = run(*args, "--color", "never").stdout.splitlines()
    assert plain[-1].rstrip() == "!! overflow"
    assert plain[5].startswith(" 1 ┤!!!!")  # w1 = -2000 and -1333: e^(2000·x) overflows
    *_, legend, note = run(*args, "--color", "always").stdout.splitlines()
    assert legend.startswith("\x1b[1;97;41m!!\x1b[0m\x1b[2m overflow\x1b[0m")
    assert note == "\x1b[2m(16-colour terminal: 6 bands drawn of 8 asked)\x1b[0m"


def test_overflow_is_null_in_json_with_a_note():
    args = ["surface", "--loss", "exponential", "--w1-range", "-2000", "2000", "--steps", "5"]
    record = json.loads(run(*args, "--format", "json").stdout)["surfaces"][0]
    # w1 = -2000 and -1000 overflow at every w2: 2 columns of 5
    assert [row[:2] for row in record["values"]] == [[None, None]] * 5
    assert record["nulls"] == 10
    assert record["note"] == "null: 10 of 25 values overflow float64 (inf)"
    assert record["minimum"]["w1"] == 0.0  # the finite cells still have their minimum
    ndjson = json.loads(run(*args, "--format", "ndjson").stdout)
    assert ndjson["note"] == record["note"]


def test_undefined_values_are_null_with_their_own_note():
    result = run("surface", "--loss", "expr:log(p - y)", "--steps", "3", "--format", "json")
    record = json.loads(result.stdout)["surfaces"][0]
    assert record["note"] == f"null: {record['nulls']} of 9 values are undefined (nan)"
    clean = json.loads(run("surface", "--loss", "mse", "--steps", "3", "--format", "json").stdout)
    assert clean["surfaces"][0]["nulls"] == 0 and "note" not in clean["surfaces"][0]


def test_a_grid_of_nulls_through_render_says_no_value():
    grid = {"w1": [0, 1], "w2": [0, 1], "values": [[None, None], [None, None]]}
    lines = run("render", "-", "--color", "never", input=json.dumps(grid)).stdout.splitlines()
    assert [line.rstrip() for line in lines[-2:]] == ["no finite value on this grid", "!! no value"]


CONSTANT = {"w1": [0, 1, 2], "w2": [0, 1], "values": [[2.5, 2.5, 2.5], [2.5, 2.5, 2.5]]}


@pytest.mark.parametrize("scale", ["linear", "log", "quantile"])
def test_a_constant_surface_renders_with_one_band(scale):
    shown = run("render", "-", "--color", "never", "--scale", scale, input=json.dumps(CONSTANT))
    assert shown.exit_code == 0
    lines = [line.rstrip() for line in shown.stdout.splitlines()]
    assert lines[2:4] == ["1 ┤", "0 ┤★"]  # band 0 (blank) everywhere, the first cell starred
    assert lines[-2:] == ["min 2.5 at w1 = 0, w2 = 0", "blank 2.5 everywhere"]
    coloured = run("render", "-", "--color", "always", "--scale", scale, input=json.dumps(CONSTANT))
    assert "2.5 everywhere" in coloured.stdout and "2.5–" not in coloured.stdout
    plain = run("render", "-", "--style", "plain", input=json.dumps(CONSTANT)).stdout
    assert plain == "<stdin>\n\n*\n"


def test_zero_one_on_separable_data_in_a_small_window_is_constant():
    args = ["--dataset", "separable", "--w1-range", "3", "4", "--w2-range", "-0.1", "0.1"]
    result = run("surface", "--loss", "zero-one", *args, "--steps", "5", "--color", "never")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1].rstrip() == "blank 0 everywhere"


def test_a_constant_surface_with_overflow_says_elsewhere():
    grid = {"w1": [0, 1], "w2": [0, 1], "values": [[1, 1], [1, 1e309]]}
    lines = run("render", "-", "--color", "never", input=json.dumps(grid)).stdout.splitlines()
    assert [line.rstrip() for line in lines[-2:]] == ["blank 1 elsewhere", "!! overflow"]


def test_values_wider_than_float64_still_get_true_bands():
    grid = {"w1": [0, 1], "w2": [0, 1], "values": [[1e308, -1e308], [0, 1]]}
    for scale in ("linear", "log"):
        shown = run("render", "-", "--color", "never", "--scale", scale, input=json.dumps(grid))
        assert shown.stderr == "" and "inf" not in shown.stdout and "nan" not in shown.stdout
    lines = run("render", "-", "--color", "never", input=json.dumps(grid)).stdout.splitlines()
    assert lines[-5].rstrip() == "blank -1e+308–-5e+307"  # the range cut in four exact quarters


def test_long_tick_labels_do_not_run_together():
    args = ["--loss", "mse", "--w1-range", "700", "800", "--steps", "5", "--color", "never"]
    lines = run("surface", *args).stdout.splitlines()
    assert lines[8].rstrip() == "w1  700   800"  # 750 would touch both: left out


# ---------------------------------------------------------------------------------------------
# Labels of one class.


def test_a_single_class_is_a_warning_and_the_surface_is_drawn(tmp_path):
    points = tmp_path / "one-class.csv"
    points.write_text("x,y\n1,1\n2,1\n3,1\n")
    result = run("surface", "--loss", "hinge", "--data", str(points), "--steps", "5")
    assert result.exit_code == 0
    assert result.stderr == (
        f"Warning: {points}: every label is 1, a single class; the surface is drawn all the same\n"
    )
    assert "min 0 at" in result.stdout
    two = run("surface", "--loss", "hinge", "--loss", "logistic", "--data", str(points))
    assert two.stderr.count("Warning") == 1  # once a dataset, not once a panel
    assert run("surface", "--loss", "mse", "--data", str(points)).stderr == ""  # regression


def test_a_single_class_in_synthetic_data_names_it():
    result = run("eval", "--loss", "hinge", "--w1", "0", "--w2", "0", "--true-w2", "5")
    assert result.exit_code == 0
    assert result.stderr.startswith("Warning: synthetic classification data: every label is 1,")

"""Per-panel parameters (`-l huber:delta=0.5`), repeated options refused, descend with several
losses, and --shared-bands: through the public command line, with exact messages."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from click.shell_completion import BashComplete
from click.testing import CliRunner
from conftest import usage_error

from losscli.catalogue import get_loss, parse_spec
from losscli.cli import COMPLETE_VAR, cli
from losscli.errors import ParameterError
from losscli.render.bands import classify, shared_references

SMALL = ("--steps", "11")
SIDE_BY_SIDE = ("--width", "100")  # two 11-step panels and their minimum lines


def surfaces(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["surfaces"]


def last_line(result) -> str:
    assert "Traceback" not in result.output
    return result.output.splitlines()[-1]


# ---------------------------------------------------------------------------------------------
# Each panel its own parameters.


def test_two_huber_panels_keep_their_own_delta(invoke):
    both = surfaces(
        invoke(
            "surface", "-l", "huber:delta=0.5", "-l", "huber:delta=2", *SMALL, "--format", "json"
        )
    )
    assert [s["params"] for s in both] == [{"delta": 0.5}, {"delta": 2.0}]
    one = surfaces(invoke("surface", "-l", "huber", "--delta", "0.5", *SMALL, "--format", "json"))
    # The per-panel form computes what --delta computes for one panel.
    assert both[0]["values"] == one[0]["values"]
    assert both[0]["values"] != both[1]["values"]


def test_the_shared_option_is_the_default_for_panels_without_their_own(invoke):
    shown = surfaces(
        invoke(
            "surface",
            *("-l", "huber:delta=0.5", "-l", "huber", "-l", "focal:gamma=1"),
            *("--delta", "3", "--alpha", "0.5", *SMALL, "--format", "json"),
        )
    )
    assert [s["params"] for s in shown] == [
        {"delta": 0.5},
        {"delta": 3.0},
        {"alpha": 0.5, "gamma": 1.0},
    ]


def test_focal_takes_two_parameters_in_one_spec(invoke):
    [focal] = surfaces(
        invoke("surface", "-l", "focal:alpha=0.5,gamma=1", *SMALL, "--format", "json")
    )
    assert focal["params"] == {"alpha": 0.5, "gamma": 1.0}


def test_panel_titles_show_each_panels_parameters(invoke):
    result = invoke(
        "surface", "-l", "huber:delta=0.5", "-l", "huber:delta=2", *SMALL, *SIDE_BY_SIDE,
        "--color", "never",
    )  # fmt: skip
    assert result.exit_code == 0
    titles = result.output.splitlines()[0].split()
    assert " ".join(titles) == "Huber (delta=0.5) Huber (delta=2)"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("huber:gamma=1", "'huber:gamma=1': huber takes delta, not gamma"),
        ("focal:beta=1", "'focal:beta=1': focal takes alpha and gamma, not beta"),
        ("mse:delta=1", "'mse:delta=1': mse takes no parameters"),
        ("huber:delta=x", "'huber:delta=x': delta must be a number, got 'x'"),
        ("huber:delta=-1", "'huber:delta=-1': delta must be > 0, got -1"),
        ("quantile:tau=1", "'quantile:tau=1': tau must be in (0, 1), got 1"),
        ("huber:delta=nan", "'huber:delta=nan': delta must be > 0, got nan"),
        ("focal:gamma=1,gamma=2", "'focal:gamma=1,gamma=2': gamma is given twice"),
        ("huber:delta", "'huber:delta': write each parameter as NAME=VALUE, e.g. huber:delta=1"),
        ("huber:", "'huber:': write each parameter as NAME=VALUE, e.g. huber:delta=1"),
        (
            "focal:alpha=0.5,",
            "'focal:alpha=0.5,': write each parameter as NAME=VALUE, e.g. focal:alpha=0.25",
        ),
        ("huber:=2", "'huber:=2': write each parameter as NAME=VALUE, e.g. huber:delta=1"),
    ],
)
def test_a_bad_spec_is_one_line_naming_the_loss_value(invoke, spec, message):
    usage_error(invoke("surface", "-l", spec, *SMALL), "--loss", message)


def test_an_unknown_loss_before_the_colon_is_named(invoke):
    result = invoke("surface", "-l", "hubber:delta=1")
    assert result.exit_code == 2
    assert last_line(result).startswith("Error: Invalid value for '--loss': unknown loss 'hubber'")


def test_a_shared_value_no_panel_uses_is_refused(invoke):
    """Every huber panel gives its own delta: --delta would change nothing."""
    usage_error(
        invoke("surface", "-l", "huber:delta=0.5", "-l", "huber:delta=2", "--delta", "3"),
        "--delta",
        "changes no panel: every huber panel gives its own delta",
    )


@pytest.mark.parametrize(
    "formula",
    ["expr:where(p >= y, 2, 1) * abs(p - y)", "expr:maximum(p-y,0)", "expr:(p - y) ** 2"],
)
def test_formulas_with_colons_equals_and_commas_are_taken_whole(invoke, formula):
    [drawn] = surfaces(invoke("surface", "-l", formula, *SMALL, "--format", "json"))
    assert (drawn["loss"], drawn["params"]) == (formula, {})


def test_parse_spec_names_a_catalogue_loss_and_its_values():
    assert parse_spec("huber:Delta=0.5") == (get_loss("huber"), {"delta": 0.5})
    assert parse_spec("pinball:tau=0.9").loss.name == "quantile"  # an alias
    assert parse_spec("L2") == (get_loss("mse"), {})
    with pytest.raises(ParameterError) as raised:
        parse_spec("huber:delta=0")
    assert (raised.value.field, raised.value.message) == (
        "loss",
        "'huber:delta=0': delta must be > 0, got 0",
    )


def test_eval_takes_per_panel_parameters(invoke):
    rows = json.loads(
        invoke(
            "eval", "-l", "huber:delta=0.5", "-l", "huber:delta=2", "--w1", "0", "--w2", "0",
            "--format", "json",
        ).output
    )  # fmt: skip
    assert [row["params"] for row in rows] == [{"delta": 0.5}, {"delta": 2.0}]
    assert rows[0]["value"] != rows[1]["value"]


# ---------------------------------------------------------------------------------------------
# A repeated single-value option is refused, never dropped.


def test_a_repeated_delta_shows_the_per_panel_form(invoke):
    result = invoke("surface", "-l", "huber", "--delta", "0.5", "-l", "huber", "--delta", "2")
    assert result.exit_code == 2
    assert last_line(result) == (
        "Error: --delta was given twice (0.5, 2); to give each panel its own, write "
        "-l huber:delta=0.5 -l huber:delta=2"
    )


def test_the_per_panel_form_names_the_loss_on_the_command_line(invoke):
    result = invoke("surface", "-l", "smooth-l1", "--beta", "1", "--beta", "2")
    assert last_line(result) == (
        "Error: --beta was given twice (1, 2); to give each panel its own, write "
        "-l smooth-l1:beta=1 -l smooth-l1:beta=2"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["surface", "--steps", "21", "--steps", "41"], "--steps was given twice (21, 41)"),
        (["surface", "--steps", "3", "--steps", "4", "--steps", "5"], "--steps was given 3 times (3, 4, 5)"),
        (["surface", "--w1-range", "-1", "3", "--w1-range", "0", "2"], "--w1-range was given twice (-1 3, 0 2)"),
        (["surface", "--color", "never", "--color", "always"], "--color was given twice (never, always)"),
        (["surface", "-o", "a.txt", "--output", "b.txt"], "--output was given twice (a.txt, b.txt)"),
        (["descend", "--lr", "0.1", "--lr", "0.2"], "--lr was given twice (0.1, 0.2)"),
        (["descend", "--start", "0", "0", "--start", "1", "1"], "--start was given twice (0 0, 1 1)"),
        (["data", "--n", "3", "--n", "4"], "--n was given twice (3, 4)"),
        (["render", "-", "--levels", "3", "--levels", "4"], "--levels was given twice (3, 4)"),
        (["eval", "--w1", "1", "--w1", "2", "--w2", "0"], "--w1 was given twice (1, 2)"),
        (["losses", "--format", "json", "--format", "table"], "--format was given twice (json, table)"),
    ],
)  # fmt: skip
def test_any_repeated_single_value_option_is_refused(invoke, args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert last_line(result) == f"Error: {message}; give it once"
    assert result.stdout == ""


def test_repeatable_options_and_plain_flags_may_repeat(invoke):
    assert invoke("surface", "-l", "mse", "-l", "mse", *SMALL, "--format", "csv").exit_code == 0
    assert invoke("surface", "-q", "-q", "-l", "mse", *SMALL, "--format", "csv").exit_code == 0
    descend = invoke("descend", "--optimizer", "gd", "--optimizer", "adam", "--format", "json")
    assert descend.exit_code == 0


def test_values_that_look_like_options_are_values(invoke):
    """-2 is --w1-range's value; after `--` a word is the argument, not an option."""
    ranges = invoke("surface", "-l", "mse", "--w1-range", "-2", "4", "--w2-range", "-2", "4",
                    *SMALL, "--format", "csv")  # fmt: skip
    assert ranges.exit_code == 0
    after_dashes = invoke("render", "--levels", "3", "--", "--levels")
    assert (after_dashes.exit_code, last_line(after_dashes)) == (1, "Error: --levels: no such file")


def test_environment_and_defaults_are_not_counted(tmp_path):
    """A value from the environment and one typed are one each: the typed one wins."""
    result = CliRunner().invoke(
        cli,
        ["surface", "-l", "mse", "--steps", "3", "--format", "json"],
        auto_envvar_prefix="LOSSCLI",
        env={"LOSSCLI_SURFACE_STEPS": "5"},
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["surfaces"][0]["w1"]) == 3


def test_help_wins_over_a_repeat(invoke):
    result = invoke("surface", "--steps", "3", "--steps", "4", "--help")
    assert result.exit_code == 0
    assert result.output.startswith("Usage: ") and "surface [OPTIONS]" in result.output


def test_every_command_refuses_repeats():
    from losscli.cli.repeats import OnceCommand

    assert all(isinstance(command, OnceCommand) for command in cli.commands.values())


# ---------------------------------------------------------------------------------------------
# descend with several losses: each loss's map, paths and table.


def test_descend_draws_each_loss_with_its_own_paths(invoke):
    result = invoke("descend", "-l", "mse", "-l", "mae", *("--grid-steps", "11", "--steps", "20"),
                    "--color", "never", "--width", "100")  # fmt: skip
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "MSE"
    assert "MAE" in lines
    assert sum(line.startswith("run ") for line in lines) == 2  # a table under each map
    assert sum(line.startswith("g gd ") for line in lines) == 2
    assert sum(line.startswith(" 4 ┤S") for line in lines) == 2  # each map has its start


def test_descend_json_is_one_document_per_loss_with_its_params(invoke, tmp_path):
    saved = tmp_path / "runs.json"
    result = invoke(
        "descend", "-l", "huber:delta=0.5", "-l", "huber:delta=2", "--steps", "10",
        "--format", "json", "-o", str(saved),
    )  # fmt: skip
    assert result.exit_code == 0
    documents = [json.loads(line) for line in saved.read_text().splitlines()]
    assert [(d["loss"], d["params"]) for d in documents] == [
        ("huber", {"delta": 0.5}),
        ("huber", {"delta": 2.0}),
    ]
    assert all(list(d) == ["version", "loss", "params", "runs"] for d in documents)
    ends = [d["runs"][0]["trajectory"][-1]["loss"] for d in documents]
    assert ends[0] != ends[1]
    drawn = invoke("surface", "-l", "huber", "--path", str(saved), *SMALL, "--color", "never")
    assert drawn.exit_code == 0
    rows = [line.split()[:2] for line in drawn.output.splitlines() if "max steps  " in line]
    assert rows == [["g", "gd"], ["b", "gd"]]  # both runs read back and tabled


def test_descend_with_one_loss_writes_the_same_single_document(invoke):
    result = invoke("descend", "-l", "mse", "--steps", "5", "--format", "json")
    assert result.output.count("\n") == 1
    assert json.loads(result.output)["loss"] == "mse"


# ---------------------------------------------------------------------------------------------
# --shared-bands.


def legend_halves(output: str, right_title: str) -> list[tuple[str, str]]:
    """Each panel's legend lines (from its first band's, `blank …`), the left panel's beside
    the right's, the view cut where the second panel starts."""
    lines = output.splitlines()
    column = lines[0].index(right_title)
    halves = []
    for side in ([line[:column] for line in lines], [line[column:] for line in lines]):
        side = [line.rstrip() for line in side]
        start = next(k for k, line in enumerate(side) if line.startswith("blank "))
        halves.append([line for line in side[start:] if line])
    return list(itertools.zip_longest(*halves, fillvalue=""))


def test_shared_bands_give_two_huber_panels_one_legend(invoke):
    args = ("surface", "-l", "huber:delta=0.5", "-l", "huber:delta=2", *SMALL, *SIDE_BY_SIDE,
            "--color", "never")  # fmt: skip
    shared = legend_halves(invoke(*args, "--shared-bands").output, "Huber (delta=2)")
    assert shared and all(left == right for left, right in shared)
    own = legend_halves(invoke(*args).output, "Huber (delta=2)")
    assert own[0][0] != own[0][1]
    values = [np.array(s["values"]) for s in surfaces(invoke(*args, "--format", "json"))]
    low, high = min(v.min() for v in values), max(v.max() for v in values)
    # The shared edges run from the lower minimum to the higher maximum of the two panels.
    assert shared[0][0].startswith(f"blank {low:.3g}–")
    assert shared[-1][0].endswith(f"██ {high:.3g}")


def test_shared_bands_leave_panels_of_different_losses_alone(invoke):
    args = ("surface", "-l", "mse", "-l", "mae", *SMALL, "--color", "never")
    assert invoke(*args, "--shared-bands").output == invoke(*args).output


def test_shared_bands_do_not_change_the_json(invoke):
    args = ("surface", "-l", "huber:delta=0.5", "-l", "huber:delta=2", *SMALL, "--format", "json")
    assert invoke(*args, "--shared-bands").output == invoke(*args).output


def test_render_shares_bands_by_the_loss_each_grid_names(invoke):
    args = ("surface", "-l", "huber:delta=0.5", "-l", "huber:delta=2", *SMALL)
    grids = invoke(*args, "--format", "json").output
    drawn = invoke("render", "-", "--shared-bands", "--color", "never", input=grids)
    direct = invoke(*args, "--shared-bands", "--color", "never")
    assert drawn.exit_code == 0
    assert drawn.output == direct.output


def test_shared_bands_in_the_plain_style(invoke):
    args = ("surface", "-l", "huber:delta=0.5", "-l", "huber:delta=2", *SMALL, "--style", "plain")
    shared = invoke(*args, "--shared-bands").output.splitlines()
    # delta=0.5 is lower everywhere, so under one scale its panel holds no darker shade.
    left = "".join(line[:11] for line in shared[1:])
    assert "▒" not in left and "█" not in left
    assert "█" in "".join(line[14:] for line in shared[1:])


def test_classify_against_a_reference_range():
    """values 0..1 against a reference up to 10, 4 levels: t = v/10, band = floor(4t)."""
    bands = classify(np.array([[0.0, 1.0]]), 4, "linear", np.array([0.0, 10.0]))
    assert bands.index.tolist() == [[0, 0]]
    assert bands.edges.tolist() == [0.0, 2.5, 5.0, 7.5, 10.0]
    top = classify(np.array([[10.0, 6.0]]), 4, "linear", np.array([0.0, 10.0]))
    assert top.index.tolist() == [[4, 2]]


def test_quantile_bands_against_pooled_cells():
    """Cells 1, 2 of a pool 1..4, 2 levels: t = (cells below)/(4 − 1) = 0, 1/3, so both
    fall in band 0; edges are the pool at ceil((0, 1/2, 1)·3) = 0, 2, 3: 1, 3, 4."""
    bands = classify(np.array([[1.0, 2.0]]), 2, "quantile", np.array([1.0, 2.0, 3.0, 4.0]))
    assert bands.index.tolist() == [[0, 0]]
    assert bands.edges.tolist() == [1.0, 3.0, 4.0]
    assert classify(np.array([[1.0, 2.0]]), 2, "quantile").index.tolist() == [[0, 2]]


def test_shared_references_pool_panels_of_one_key():
    a, b, c = np.array([1.0, 2.0]), np.array([5.0]), np.array([9.0])
    first, alone, third = shared_references(["huber", "mse", "huber"], [a, b, c])
    assert first is not None and third is not None
    assert first.tolist() == third.tolist() == [1.0, 2.0, 9.0]
    assert alone is None  # mse shares with no other panel
    assert shared_references(["huber", None, None], [a, b, c]) == [None, None, None]


# ---------------------------------------------------------------------------------------------
# Completion.


def complete(args: list[str], incomplete: str) -> list[str]:
    completer = BashComplete(cli, {}, "losscli", COMPLETE_VAR)
    return [item.value for item in completer.get_completions(args, incomplete)]


@pytest.mark.parametrize(
    ("incomplete", "expected"),
    [
        ("huber:", ["huber:delta="]),
        ("focal:", ["focal:alpha=", "focal:gamma="]),
        ("focal:g", ["focal:gamma="]),
        ("focal:alpha=0.5,", ["focal:alpha=0.5,gamma="]),
        ("pinball:", ["pinball:tau="]),
        ("mse:", []),
        ("nosuchloss:", []),
        ("expr:p", []),
    ],
)
def test_completion_offers_the_parameters_after_the_colon(incomplete, expected):
    assert complete(["surface", "-l"], incomplete) == expected
    assert complete(["descend", "--loss"], incomplete) == expected


def test_the_losses_command_completes_names_only():
    assert complete(["losses"], "huber:") == []
    assert complete(["losses"], "hu") == ["huber"]

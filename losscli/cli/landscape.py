"""`losscli landscape`: train a small network (or load its weights) and draw its loss on a plane
through its weights, or along the line from its initial weights to its trained ones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from losscli.cli.errors import reported_errors, usage_error
from losscli.cli.options import (
    check_destination,
    echo,
    emit,
    lr_option,
    momentum_option,
    output_options,
    picture_options,
    standard_input,
    view_options,
)
from losscli.cli.repeats import OnceCommand
from losscli.defaults import CLASS_SETS, OPTIMIZER
from losscli.descent.optimizers import OPTIMIZERS

if TYPE_CHECKING:
    from losscli.data.labelled import Labelled
    from losscli.models.network import Network
    from losscli.models.training import Training
    from losscli.render.view import Pictures, ViewOptions
    from losscli.slices.landscape import Landscape, Scoring

    Array = Any

FORMATS = ("text", "json", "ndjson", "csv", "npz")
PLANE_STEPS, LINE_STEPS = 21, 61
"""Default cells along each axis of the plane, and points along the line."""


def widths(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    """--hidden's comma-separated widths, each a whole number ≥ 1."""
    try:
        found = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not widths such as 16 or 64,64") from None
    if not found or min(found) < 1:
        raise click.BadParameter(f"{value!r}: every width must be at least 1")
    return found


@click.command("landscape", cls=OnceCommand)
@click.option(
    "--model",
    type=click.Choice(["softmax", "mlp"]),
    default="mlp",
    show_default=True,
    help="softmax: multinomial logistic regression; mlp: one or two hidden layers.",
)
@click.option(
    "--hidden",
    default="16",
    show_default=True,
    callback=widths,
    metavar="WIDTHS",
    help="The MLP's hidden widths, comma-separated: 16 (one layer) or 64,64 (two).",
)
@click.option(
    "--activation",
    type=click.Choice(["tanh", "relu"]),
    default="tanh",
    show_default=True,
    help="The MLP's hidden activation.",
)
@click.option(
    "--dataset",
    type=click.Choice(CLASS_SETS),
    default="blobs",
    show_default=True,
    help="A labelled data set: blobs, moons and spirals are made by formula; iris is measured.",
)
@click.option(
    "--data",
    "data_path",
    metavar="PATH",
    help="Your own labelled points: a CSV of feature columns and a class column ('-': stdin).",
)
@click.option(
    "--features",
    metavar="NAMES",
    help="--data's feature columns, comma-separated names or numbers from 1. Default: all "
    "but the class column.",
)
@click.option(
    "--class-column",
    metavar="NAME",
    help="--data's class column, a name or a number from 1. Default: one named class, "
    "label, species, target or y.",
)
@click.option(
    "--points",
    type=click.IntRange(min=2),
    help="Points in a synthetic data set. Default: the set's own (blobs: 300).",
)
@click.option(
    "--classes",
    type=click.IntRange(min=2),
    help="Classes K of a synthetic data set. Default: the set's own (blobs: 3).",
)
@click.option(
    "-l",
    "--loss",
    default="cross-entropy",
    show_default=True,
    metavar="NAME",
    help="The loss trained and drawn: cross-entropy, one-hot-mse (brier), or, on two "
    "classes, a classification loss of `losscli losses` (logistic, hinge, ...) on z1 − z0.",
)
@click.option(
    "--smoothing",
    type=float,
    metavar="EPS",
    help="cross-entropy's label smoothing ε in [0, 1]: the target (1 − ε)·one-hot + ε/K, "
    "as PyTorch's label_smoothing. Default: 0.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seeds the data, the initial weights, the mini-batches and random directions.",
)
@click.option(
    "--optimizer",
    type=click.Choice(list(OPTIMIZERS)),
    default=OPTIMIZER,
    show_default=True,
    help="Training's update rule, as descend's --optimizer.",
)
@lr_option
@momentum_option
@click.option(
    "--steps", type=click.IntRange(min=0), default=200, show_default=True, help="Training steps."
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    help="Points per training step, drawn afresh each step. Default: all points.",
)
@click.option(
    "--directions",
    "recipe",
    type=click.Choice(["random", "pca", "three"]),
    default="random",
    show_default=True,
    help="random: Gaussian, filter-normalised (Li et al. 2018); pca: the training "
    "trajectory's top two principal directions; three: the plane through three "
    "--weights files (at (0,0), (1,0), (0,1)).",
)
@click.option(
    "--biases",
    type=click.Choice(["zero", "copy"]),
    default="zero",
    show_default=True,
    help="Random directions' biases: 0, or θ*'s own (Li et al.'s biasbn).",
)
@click.option(
    "--weights",
    "weight_files",
    multiple=True,
    metavar="FILE",
    type=click.Path(readable=False),
    help="Load saved weights instead of training (three times for --directions three).",
)
@click.option("--save-weights", metavar="FILE", help="Save the trained weights as JSON.")
@click.option(
    "--span",
    type=(float, float),
    metavar="LO HI",
    help="Range of α and β (of t with --line). Default: -1 1 (random), the path's "
    "reach (pca), -0.5 1.5 (three, and --line).",
)
@click.option(
    "--alpha-range", type=(float, float), metavar="LO HI", help="Range of α (overrides --span)."
)
@click.option(
    "--beta-range", type=(float, float), metavar="LO HI", help="Range of β (overrides --span)."
)
@click.option(
    "--grid-steps",
    type=click.IntRange(min=2),
    help=f"Cells along each axis (points along --line). Default: {PLANE_STEPS} "
    f"({LINE_STEPS} for --line).",
)
@click.option(
    "--line",
    is_flag=True,
    help="The loss along θ0 + t·(θ* − θ0), from the initial weights (t = 0) to the "
    "trained ones (t = 1) (Goodfellow et al. 2015), drawn as a line plot.",
)
@view_options
@picture_options
@output_options(FORMATS, help="text: the view; json, ndjson, csv, npz: the grid, as surface's.")
def landscape_command(**options: Any) -> None:
    """Train a small network and draw its loss on a plane through its trained weights θ*.

    The plane is θ* + α·d1 + β·d2: θ* is the cell (0, 0); `values[i][j]` in the JSON is the
    loss at beta[i], alpha[j]. The training path, projected onto the plane, is drawn on the
    map. `losscli render` draws the JSON again.

    \b
      losscli landscape --model softmax --steps 100
      losscli landscape --dataset spirals --hidden 64,64 --directions pca
      losscli landscape --line --save-weights net.json
    """
    with reported_errors(
        span_range="--span",
        span_steps="--grid-steps",
        alpha_steps="--grid-steps",
        beta_steps="--grid-steps",
    ):
        _run(**options)


def _run(**options: Any) -> None:
    """The command, its options checked: data, network, plane (or line), output."""
    from losscli.descent.walk import Settings
    from losscli.slices.landscape import scoring

    output_format, output = options["output_format"], options["output"]
    pictures: Pictures = options["pictures"]
    _check(options, pictures)
    data = _labelled(options)
    score = scoring(options["loss"], options["smoothing"], len(data.classes))
    settings = Settings(
        lr=options["lr"],
        steps=options["steps"],
        momentum=options["momentum"],
        batch_size=options["batch_size"],
        seed=options["seed"],
    )
    network, solutions, training, record = _weights(options, data, settings, score)
    if options["line"]:
        return _line(options, network, solutions[0], training, data, (record, score))
    landscape = _plane(options, network, solutions, training, data, (record, score))
    if output_format != "text":
        from losscli.render.export import WRITERS

        return emit(WRITERS[output_format]([landscape]), output)
    return _show(landscape, options, training)


def _labelled(options: dict[str, Any]) -> Labelled:
    """The points: the user's file (--data), or a set by name."""
    from losscli.data.class_sets import class_set

    if options["data_path"] is None:
        return class_set(
            options["dataset"],
            points=options["points"],
            classes=options["classes"],
            seed=options["seed"],
        )
    from losscli.data.class_csv import read_labelled_file

    features = options["features"]
    return read_labelled_file(
        options["data_path"],
        standard_input(),
        features=None if features is None else [part.strip() for part in features.split(",")],
        class_column=options["class_column"],
    )


def _check(options: dict[str, Any], pictures: Pictures) -> None:
    """Refuse, before any work, what cannot be done or written."""
    output_format, output = options["output_format"], options["output"]
    check_destination(output, pictures)
    if options["save_weights"] is not None:
        check_destination(options["save_weights"])
    if output_format == "npz" and output is None:
        raise usage_error("--format", "npz is binary: give -o PATH to write it to a file")
    if options["line"] and output_format not in ("text", "json", "csv"):
        raise usage_error("--format", f"--line writes text, json or csv, not {output_format}")
    for flag, path in (("--save-svg", pictures.svg), ("--save-html", pictures.html)):
        if path is not None and options["line"]:
            raise usage_error(flag, "pictures the map; --line draws text only")
        if path is not None and output_format != "text":
            raise usage_error(
                flag, f"pictures the view, so it needs --format text, not {output_format}"
            )
    if options["line"] and options["recipe"] != "random":
        raise usage_error("--line", "draws the line from θ0 to θ*; it takes no --directions")
    if not options["line"]:
        from losscli.limits import check_grid

        steps = options["grid_steps"] or PLANE_STEPS
        check_grid(steps, steps, 1)
    if options["line"] and (options["alpha_range"] or options["beta_range"]):
        raise usage_error("--line", "spans t with --span; it has no α or β")
    if options["data_path"] is None:
        for name in ("features", "class_column"):
            if options[name] is not None:
                flag = "--" + name.replace("_", "-")
                raise usage_error(flag, "chooses --data's columns; give --data PATH")
    else:
        ctx = click.get_current_context()
        for name in ("dataset", "points", "classes"):
            if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT:
                raise usage_error(f"--{name}", "sets up a made data set; it cannot go with --data")
    if options["line"] and options["weight_files"]:
        raise usage_error("--line", "needs the initial weights of a training run, not --weights")


def _weights(
    options: dict[str, Any], data: Labelled, settings: Any, score: Scoring
) -> tuple[Network, list[Array], Training | None, dict[str, Any]]:
    """The network and its θ*: loaded from --weights (one, or three for a plane through them),
    or trained (and saved where asked); with the JSON's "training" record."""
    from losscli.data.files import read_file
    from losscli.models.weights import read_weights, weights_text
    from losscli.output import write_output
    from losscli.slices.landscape import check_fits, check_recipe, network_for, trained

    files = options["weight_files"]
    check_recipe(options["recipe"], len(files), trained=not files)
    if files:
        loaded = [read_weights(read_file(path), path) for path in files]
        for path, (network, _) in zip(files, loaded, strict=True):
            check_fits(network, data, path)
        if len({network for network, _ in loaded}) > 1:
            raise usage_error("--weights", "the three solutions are of different networks")
        record = {"training": {"weights": list(files)}, "data": data.origin}
        return loaded[0][0], [theta for _, theta in loaded], None, record
    network = network_for(options["model"], options["hidden"], options["activation"], data)
    training = trained(network, data, options["optimizer"], settings, score)
    if options["save_weights"] is not None:
        write_output(options["save_weights"], weights_text(network, training.theta), "save_weights")
    run = {
        "optimizer": options["optimizer"],
        **{name: getattr(settings, name) for name in OPTIMIZERS[options["optimizer"]].settings},
        "steps": settings.steps,
        "batch_size": settings.batch_size,
        "seed": settings.seed,
        "initial_loss": float(training.losses[0]),
        "final_loss": float(training.losses[-1]),
    }
    return network, [training.theta], training, {"training": run, "data": data.origin}


def _plane(
    options: dict[str, Any],
    network: Network,
    solutions: list[Array],
    training: Training | None,
    data: Labelled,
    made: tuple[dict[str, Any], Scoring],
) -> Landscape:
    """The loss over the plane the recipe makes, on the span's grid; `made`: the JSON's
    record of the weights and data, and the loss."""
    from losscli.engine.axis import Axis
    from losscli.slices.directions import project
    from losscli.slices.landscape import SPANS, make_landscape, path_span, plane_for

    recipe = options["recipe"]
    trajectory = None if training is None else training.trajectory
    directions = plane_for(
        recipe, network, solutions, trajectory, seed=options["seed"], biases=options["biases"]
    )
    low, high = options["span"] or (
        path_span(project(trajectory, directions))
        if trajectory is not None and recipe == "pca"
        else SPANS[recipe]
    )
    steps = options["grid_steps"] or PLANE_STEPS
    (a_low, a_high), (b_low, b_high) = (
        options["alpha_range"] or (low, high),
        options["beta_range"] or (low, high),
    )
    alphas = Axis("alpha" if options["alpha_range"] else "span", a_low, a_high, steps).values
    betas = Axis("beta" if options["beta_range"] else "span", b_low, b_high, steps).values
    record, score = made
    return make_landscape(
        network,
        directions,
        (alphas, betas),
        data,
        record=record,
        trajectory=trajectory,
        score=score,
    )


def _show(landscape: Landscape, options: dict[str, Any], training: Training | None) -> None:
    """The map, with the training's path over it where there is one."""
    import numpy as np

    from losscli.descent.walk import Run
    from losscli.render.view import PATH_NOTE, Destination, Paths, show
    from losscli.slices.landscape import plane_note

    paths = None
    if landscape.path is not None and training is not None:
        path = landscape.path
        run = Run(
            landscape.loss_name,
            options["optimizer"],
            landscape.record["training"],
            "max_steps",
            path,
            training.losses,
            np.zeros_like(path),
        )
        paths = Paths([run], (PATH_NOTE,))
    view: ViewOptions = options["view"]
    show(
        [landscape],
        view,
        Destination(options["output"], options["pictures"]),
        title="losscli landscape",
        echo=echo,
        paths=paths,
        notes=[plane_note(landscape.record["directions"])],
    )


def _line(
    options: dict[str, Any],
    network: Network,
    theta: Array,
    training: Training | None,
    data: Labelled,
    made: tuple[dict[str, Any], Scoring],
) -> None:
    """The loss along the line from the initial weights to the trained ones."""
    from losscli import __version__
    from losscli.engine.axis import Axis
    from losscli.render.lineplot import line_csv, line_json, line_plot
    from losscli.render.view import Destination
    from losscli.slices.landscape import SPANS, make_line

    assert training is not None
    low, high = options["span"] or SPANS["three"]
    ts = Axis("span", low, high, options["grid_steps"] or LINE_STEPS).values
    line = make_line(network, training.trajectory[0], theta, ts, data, *made)
    if options["output_format"] != "text":
        text = (
            line_json(line, __version__) if options["output_format"] == "json" else line_csv(line)
        )
        return emit(text, options["output"])
    view: ViewOptions = options["view"]
    marks = {0.0: "I", 1.0: "T"}
    plot = line_plot(
        line.t,
        line.values,
        title=line.title,
        width=view.width or 72,
        height=view.height or 12,
        marks=marks,
    )
    plot += "I initial weights (t = 0)   T trained weights (t = 1)\n"
    Destination(options["output"], options["pictures"]).write(plot, echo)
    return None

"""`losscli render`: draw saved grids again."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from losscli.cli.errors import reported_errors
from losscli.cli.options import (
    check_destination,
    echo,
    maps_view_options,
    output_path_option,
    picture_options,
    standard_input,
)
from losscli.cli.repeats import OnceCommand

if TYPE_CHECKING:
    from losscli.render.view import Pictures, ViewOptions


@click.command("render", cls=OnceCommand)
@click.argument(
    "source",
    metavar="FILE|-",
    type=click.Path(dir_okay=False, allow_dash=True, readable=False),
)
@maps_view_options
@picture_options
@output_path_option
def render_command(source: str, view: ViewOptions, pictures: Pictures, output: str | None) -> None:
    """Draw the grids in a JSON FILE ('-' reads standard input), as surface draws its own.

    All the view options of surface apply. Reads what `surface --format json` or `--format
    ndjson` wrote, also after jq has filtered or changed it, and any tool's {"w1": [...],
    "w2": [...], "values": [[...]]} where values[i][j] is the value at w2[i], w1[j] (null for
    a missing value; other keys are ignored; "title" or "loss" names the panel). The minimum
    is found from the values. A landscape's saved training path is drawn as landscape drew it.
    """
    from losscli.data.files import read_bytes
    from losscli.render.grids import read_grids
    from losscli.render.view import Destination, saved_paths, show

    with reported_errors():
        check_destination(output, pictures)
        grids = read_grids(*read_bytes(source, standard_input()))
        paths, notes = saved_paths(grids)
        to = Destination(output, pictures)
        show(grids, view, to, title="losscli render", echo=echo, paths=paths, notes=notes)

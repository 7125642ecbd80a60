"""Points for the line model: the `Dataset`, the lesson's generator and the built-in sets,
files in CSV or JSON, and the source a command reads them from.

`dataset` holds the `Dataset` itself, `synthetic` the generators, `builtin` the sets that
`--dataset` names, `files` the readers and writers (`csv_points` and `json_points` parse,
`columns` says which columns are x and y, the delimiter and what a missing value is),
`sources` where a command's points come from. Nothing is imported here, so that the command
line can list the built-in sets at start-up without numpy.
"""

"""The command line: a thin layer that parses options, calls the core and hands the results
to a view.

`app` holds the group and `main`, `options` the option groups shared between commands (each
hands its command one typed spec), `errors` the table from the core's errors to messages and
exit statuses, and one module per command: `surface`, `descend`, `evaluate` (eval),
`losses`, `data`, `render`.
"""

from losscli.cli.app import COMPLETE_VAR, cli, completion_script, main

__all__ = ["COMPLETE_VAR", "cli", "completion_script", "main"]

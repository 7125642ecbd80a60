"""Walking downhill on a loss surface: optimizers, the walk itself, and saved runs.

`optimizers` holds each update rule as a pure (init, update) pair and the registry
`--optimizer` reads; `walk` the walk, its settings and why it stops; `runs` the JSON of saved
walks. Nothing is imported here: the command line reads the optimizers at start-up, and the
walk loads numpy only when one runs.
"""

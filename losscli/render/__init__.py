"""Rendering: results turned into Rich renderables or text, and shown.

`view` draws a command's grids (and descent paths) to the terminal, a file and pictures;
`console` is the one place a Rich Console is made; `bands` classifies values into shades for
every picture; `colormap` and `plain` draw the panels; `paths` the descent paths; `grids`
reads saved grids and thins them to fit; `pictures` saves SVG and HTML; `progress` is the
progress bar; `export`, `point` and `catalogue` write what other tools and `eval` and
`losses` print.
"""

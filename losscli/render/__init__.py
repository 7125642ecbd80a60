"""Renderers: each turns swept surfaces into one output format.

`bands` classifies values into shading bands (shared by every picture), `plain` writes the
lesson's figure, `colormap` builds Rich renderables, `export` writes JSON and CSV, and
`console` is the one place a Rich Console is made.
"""

#!/usr/bin/env bash
# Regenerate the README's gallery: every picture under docs/gallery is drawn by losscli itself,
# from this checkout. Run it from anywhere:  docs/make_gallery.sh
set -euo pipefail
cd "$(dirname "$0")/.."
losscli() { PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" python -m losscli "$@" > /dev/null; }
mkdir -p docs/gallery

# The lesson's four losses side by side (201 columns hold all four panels).
losscli surface --width 201 --save-svg docs/gallery/lesson.svg
# The lesson's figure itself: one character a cell, as printed in the lesson.
losscli surface --style plain --origin upper --save-svg docs/gallery/figure.svg
# Ten percent outliers: MSE's minimum moves up towards them, MAE's hardly moves.
losscli surface --loss mse --loss mae --outliers 0.1 --width 99 --save-svg docs/gallery/outliers.svg
# A log scale shows the ravine near MAE's minimum that linear bands hide (501 steps, thinned).
losscli surface --loss mae --scale log --steps 501 --width 99 --save-svg docs/gallery/mae-log.svg
# A grid made by numpy, drawn by `losscli render`: Rosenbrock's banana valley.
python -c '
import json, numpy as np
w1, w2 = np.linspace(-2, 2, 41), np.linspace(-1, 3, 41)
values = (1 - w1[None, :]) ** 2 + 100 * (w2[:, None] - w1[None, :] ** 2) ** 2
print(json.dumps({"title": "Rosenbrock (numpy)", "w1": w1.tolist(), "w2": w2.tolist(),
                  "values": values.tolist()}))
' | losscli render - --scale log --width 99 --save-svg docs/gallery/rosenbrock.svg
# The hiker: gd and adam walking down MAE's ravine from the same start.
losscli descend --loss mae --start -1.5 3.5 --lr 0.3 --optimizer gd --optimizer adam --width 99 \
  --save-svg docs/gallery/descend.svg

"""Where a command's points come from, and the datasets each loss gets from there.

A source is a file (`-` for standard input) or a built-in dataset, the lesson's by default,
shaped by the synthetic settings. A file serves every loss; a built-in dataset serves the
losses of its tasks, each task's set loaded once (the lesson gives regression losses its
regression set and classification losses its labelled set).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Literal

from losscli.data import builtin
from losscli.data.columns import Reading
from losscli.defaults import LESSON_DATA, LESSON_WINDOW, Window

if TYPE_CHECKING:
    from losscli.catalogue import Loss
    from losscli.data.dataset import Dataset


@dataclass(frozen=True)
class Source:
    """A file (`path`) read as `reading` says, or built-in dataset `dataset` (None: the
    lesson's) shaped by `synthetic`; `given` names the synthetic settings chosen on purpose,
    which a dataset they do not shape refuses."""

    path: str | None = None
    dataset: str | None = None
    synthetic: Mapping[str, Any] = field(default_factory=LESSON_DATA._asdict)
    given: Collection[str] = ()
    reading: Reading = field(default_factory=Reading)

    def window(self) -> Window:
        """The (w1, w2) ranges that show the data: a built-in dataset's own, else the lesson's."""
        return LESSON_WINDOW if self.dataset is None else builtin.get_dataset(self.dataset).window

    def curated_window(self) -> tuple[Window, Literal["lesson", "dataset"]] | None:
        """The window drawn by hand for a built-in dataset ("lesson" for the lesson's, whatever
        its synthetic settings; "dataset" for the others), or None for a file, whose window
        is chosen from its data (`losscli.engine.window`)."""
        if self.path is not None:
            return None
        if self.dataset is None or self.dataset.lower() == "lesson":
            return LESSON_WINDOW, "lesson"
        return builtin.get_dataset(self.dataset).window, "dataset"


class Points:
    """The datasets of a source for the losses asked for, loaded once each.

    `warn` hears, once a dataset, when a classification loss gets a single class: the
    surface is still drawn, but it cannot show a boundary between classes; and, for a file,
    which columns were taken where the file does not name x and y, and how many rows were
    skipped for a missing value.
    """

    def __init__(
        self,
        source: Source,
        stdin: IO[bytes] | None,
        warn: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.source = source
        self.warn = warn
        self._loaded: dict[str, Dataset] = {}
        self._warned: set[int] = set()
        if source.path is not None:  # a file is read at once: its errors come first
            from losscli.data.files import read_source

            self._loaded["file"] = read_source(source.path, stdin, source.reading, warn)

    def notes(self) -> list[str]:
        """What a view says of how a file's points were read (see `Dataset.reading`)."""
        read = self._loaded.get("file")
        return list(read.reading) if read is not None else []

    def __call__(self, loss: Loss) -> Dataset:
        """The dataset `loss` is computed on."""
        key = "file" if self.source.path is not None else loss.task
        if key not in self._loaded:
            self._loaded[key] = self._load(loss)
        dataset = self._loaded[key]
        if loss.task == "classification" and id(dataset) not in self._warned:
            self._warned.add(id(dataset))
            label = dataset.single_label()
            if label is not None:
                self.warn(
                    f"{dataset.name}: every label is {label:g}, a single class; "
                    "the surface is drawn all the same"
                )
        return dataset

    def suits(self, loss: Loss) -> bool:
        """Whether a loss belongs among the default panels: a built-in dataset's tasks, or
        for a file a regression loss, or a classification loss where y holds labels."""
        if self.source.path is None:
            dataset = self.source.dataset
            return dataset is None or loss.task in builtin.get_dataset(dataset).tasks
        return loss.task == "regression" or self(loss).is_labelled()

    def _load(self, loss: Loss) -> Dataset:
        return builtin.load_builtin(
            self.source.dataset or "lesson",
            loss.task,
            loss.name,
            self.source.synthetic,
            list(self.source.given),
        )

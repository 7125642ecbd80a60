"""Deferred imports, so `losscli --help` and shell completion never pay numpy's start-up cost.

The catalogue of losses is read when the CLI is built (option names, completion), but its
functions only need numpy when they run. `lazy_import` returns a module object that imports
the real module on first attribute access (the pattern of Scientific Python's SPEC 1).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _LazyModule(ModuleType):
    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)  # later look-ups skip this method
        return getattr(module, attr)


def lazy_import(name: str) -> Any:
    """A stand-in for `import name` that costs nothing until first used."""
    return _LazyModule(name)

"""One module's loader wrapped at import: how the torch companions' compatibility shims hook in.

``torchaudio_compat`` and ``torchvision_compat`` each change how one module of a package loads, only when
it is imported and without importing anything themselves; this finder is the part they share.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

LoaderWrapper = Callable[[importlib.abc.Loader], importlib.abc.Loader]


class WrappedLoader(importlib.abc.Loader):
    """A module's own loader, with ``exec_module`` for a subclass to change."""

    def __init__(self, wrapped: importlib.abc.Loader) -> None:
        self.wrapped = wrapped

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.wrapped.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.wrapped.exec_module(module)


class WrappingFinder(importlib.abc.MetaPathFinder):
    """Finds ``fullname`` with the other finders and hands its loader to ``wrap``."""

    def __init__(self, fullname: str, wrap: LoaderWrapper) -> None:
        self.fullname = fullname
        self.wrap = wrap

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname != self.fullname:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = self.wrap(spec.loader)
                return spec
        return None


def wrap_on_import(fullname: str, wrap: LoaderWrapper) -> None:
    """Install (once) a finder that wraps ``fullname``'s loader with ``wrap``."""
    if not any(isinstance(finder, WrappingFinder) and finder.fullname == fullname for finder in sys.meta_path):
        sys.meta_path.insert(0, WrappingFinder(fullname, wrap))

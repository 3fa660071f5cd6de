"""Let torchvision import when its compiled ops cannot load for the installed torch.

diffsynth (the talking extra, Wan2.2-S2V) requires torchvision, and transformers imports torchvision whenever
it is installed. PyPI's torchvision for torch 2.13 is built against PyPI's CUDA torch: beside a CPU build of
the same torch (how this project pins it for development and CI) its ``_C`` library cannot load, and
torchvision then fails *on import* ("operator torchvision::nms does not exist") while registering a fake
kernel for an op that was never defined — which breaks every transformers model in the process.
Wan2.2-S2V inference and the transformers models used here call no torchvision op, so this finder lets the
import succeed there by defining the two operator schemas torchvision's Python part expects, then running
its ``__init__`` again; calling those ops would still fail, loudly. Nothing changes where torchvision loads.
Installed once, from ``reelwright/__init__``, before anything imports torchvision; it imports nothing itself.
"""

from __future__ import annotations

import logging
import sys
from types import ModuleType
from typing import Any

from reelwright.import_hooks import WrappedLoader, wrap_on_import

log = logging.getLogger(__name__)
_PACKAGE = "torchvision"
#: The schemas torchvision's Python part registers fake kernels for at import (torchvision/_meta_registrations.py).
_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
#: The library that holds the schemas: dropping it would undefine them.
_defined: list[Any] = []


class _TolerantLoader(WrappedLoader):
    def exec_module(self, module: ModuleType) -> None:
        try:
            self.wrapped.exec_module(module)
        except RuntimeError as error:
            if f"{_PACKAGE}::" not in str(error) or _defined:
                raise
            log.info("torchvision's compiled ops cannot load for this torch (%s); importing its Python part only", error)
            _define_schemas()
            for name in [name for name in sys.modules if name.startswith(f"{_PACKAGE}.")]:
                del sys.modules[name]
            self.wrapped.exec_module(module)


def _define_schemas() -> None:
    import torch

    library = torch.library.Library(_PACKAGE, "DEF")
    for schema in _SCHEMAS:
        library.define(schema)
    _defined.append(library)


def install() -> None:
    wrap_on_import(_PACKAGE, _TolerantLoader)

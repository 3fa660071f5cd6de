"""Let torchaudio import when its compiled part cannot load for the installed torch.

coqui-tts (the voices extra) refuses to import without torchaudio, and transformers imports torchaudio
whenever it is installed. The only torchaudio on PyPI for torch 2.13 is a CUDA build for an older torch:
its ``_torchaudio.so`` fails to load on a CPU machine (and against another torch's ABI), and torchaudio
raises instead of running without it, which breaks every transformers model in the process. torchaudio
already runs in pure Python when its library file is absent (how it ships in a pex); this finder makes a
library file that *cannot load* count as absent, so what coqui needs (resampling, mel spectrograms) works.
Nothing changes where the library loads. Installed once, from ``reelwright/__init__``, before anything
imports torchaudio; it imports nothing itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import ModuleType

from reelwright.import_hooks import WrappedLoader, wrap_on_import

log = logging.getLogger(__name__)
_UTILS = "torchaudio._extension.utils"


class _TolerantLoader(WrappedLoader):
    def exec_module(self, module: ModuleType) -> None:
        self.wrapped.exec_module(module)
        module._load_lib = _tolerant(module._load_lib)  # type: ignore[attr-defined]


def _tolerant(load_lib: Callable[[str], bool]) -> Callable[[str], bool]:
    def load(lib: str) -> bool:
        try:
            return load_lib(lib)
        except OSError as error:
            log.info("torchaudio's %s cannot load for this torch (%s); using its pure-Python part", lib, error)
            return False

    return load


def install() -> None:
    wrap_on_import(_UTILS, _TolerantLoader)

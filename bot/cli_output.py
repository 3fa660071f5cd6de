"""What the ``reelwright`` commands print: results on stdout (one JSON object with ``--json``), everything else on stderr.

Markup is off: titles, prompts, paths and errors hold people's text ("[/x]" must print as typed); the
few styled words are built with ``markup=True`` around escaped text.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape

from reelwright.errors import ReelwrightError

err = Console(stderr=True, markup=False)
out = Console(markup=False)


def emit(as_json: bool, payload: dict[str, Any], human: Callable[[], None]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(payload, default=str) + "\n")
    else:
        human()


def print_error(error: ReelwrightError) -> None:
    """One line on stderr; the caller exits with ``error.exit_code``."""
    err.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, markup=True, soft_wrap=True)

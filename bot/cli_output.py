"""What the ``reelwright`` commands print: results on stdout (one JSON object with ``--json``), everything else on stderr.

Markup is off: titles, prompts, paths and errors hold people's text ("[/x]" must print as typed); the
few styled words are built with ``markup=True`` around escaped text.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextvars import ContextVar
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from reelwright.errors import ReelwrightError

err = Console(stderr=True, markup=False)
out = Console(markup=False)

#: Whether this command was asked for ``--json``: then its errors are a JSON object on stdout too, so
#: a script reading stdout gets an answer it can parse whether the command worked or not.
_json_asked: ContextVar[bool] = ContextVar("json_asked", default=False)


def _remember_json(value: bool) -> bool:
    _json_asked.set(value)
    return value


JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout (errors too).", callback=_remember_json)]


def emit(as_json: bool, payload: dict[str, Any], human: Callable[[], None]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(payload, default=str) + "\n")
    else:
        human()


def print_error(error: ReelwrightError) -> None:
    """One line on stderr (and ``{"error": …}`` on stdout with ``--json``); the caller exits with ``error.exit_code``."""
    err.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, markup=True, soft_wrap=True)
    if _json_asked.get():
        sys.stdout.write(json.dumps({"error": str(error), "exit_code": error.exit_code}) + "\n")

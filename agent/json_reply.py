"""What a language model answers: free text with its token count, or the JSON object it was asked for."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reply:
    """Free text a model wrote, and how many tokens it took (for the benchmark and the plan record)."""

    text: str
    tokens: int


class InvalidModelOutput(ValueError):
    """The model answered, but not with the JSON object we asked for."""


def parse_json_object(text: str) -> dict[str, Any]:
    """Parse a model's reply, tolerating a code fence or text around the object."""
    text = text.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise InvalidModelOutput(f"no JSON object in reply: {text[:80]!r}")
    try:
        value = json.loads(text[start : end + 1], strict=False)  # small models put raw newlines in strings
    except json.JSONDecodeError as error:
        raise InvalidModelOutput(str(error)) from error
    if not isinstance(value, dict):
        raise InvalidModelOutput("reply is not a JSON object")
    return value

"""The embedded model's own process: loads a GGUF model with llama.cpp once and answers requests.

Run by :class:`agent.local_llm.LocalModelProcess`, never by people. A native fault in llama.cpp
(an illegal instruction on a CPU whose flags lie, a segfault) kills only this process; the parent
sees the signal and plans without the model.

Protocol: one JSON object per line. The parent writes ``{"system", "user", "schema" (or null for free
text), "stop", "max_tokens", "temperature", "seed"}``; this process answers ``{"event": "ready", ...}``
once after loading, then one ``{"event": "done", "text", "tokens", "seconds"}`` per request (or
``{"event": "error", "message"}``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, TextIO


def protocol_channel() -> TextIO:
    """Stdout reserved for the protocol; anything native code prints to fd 1 goes to stderr instead."""
    channel = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


def send(channel: TextIO, **event: Any) -> None:
    channel.write(json.dumps(event) + "\n")
    channel.flush()


def answer(model: Any, request: dict[str, Any], channel: TextIO) -> None:
    """One chat completion: JSON constrained by a schema's grammar, or free text up to a stop string."""
    started = time.perf_counter()
    constraint: dict[str, Any] = {"stop": request.get("stop") or None}
    if request.get("schema"):
        constraint = {"response_format": {"type": "json_object", "schema": request["schema"]}}
    reply = model.create_chat_completion(
        messages=[{"role": "system", "content": request["system"]}, {"role": "user", "content": request["user"]}],
        max_tokens=int(request.get("max_tokens", 256)),
        temperature=float(request.get("temperature", 0.5)),
        seed=int(request.get("seed", 1)),
        **constraint,
    )
    send(
        channel,
        event="done",
        text=reply["choices"][0]["message"]["content"] or "",
        tokens=reply["usage"]["completion_tokens"],
        seconds=round(time.perf_counter() - started, 3),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model_path")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", type=int, default=2048)
    args = parser.parse_args()
    channel = protocol_channel()
    started = time.perf_counter()
    try:
        from llama_cpp import Llama

        model = Llama(model_path=args.model_path, n_ctx=args.context, n_threads=args.threads, n_threads_batch=args.threads, verbose=False)
    except Exception as error:  # an unreadable file, a wrong format: report it, the parent falls back
        send(channel, event="error", message=f"{type(error).__name__}: {error}", fatal=True)
        return 3
    send(channel, event="ready", model=os.path.basename(args.model_path), load_s=round(time.perf_counter() - started, 3))
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer(model, json.loads(line), channel)
        except Exception as error:  # a bad request must not end the process that holds the model
            send(channel, event="error", message=f"{type(error).__name__}: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

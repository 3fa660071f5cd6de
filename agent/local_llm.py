"""The embedded language model, run in a child process that stays loaded between requests.

llama.cpp is native code: built for CPU features a virtual machine advertises but does not allow, it
dies with SIGILL on its first token, and a segfault or an abort would take any process with it. So
the model lives in its own process (``reelwright.agent.local_llm_worker``); this side starts it, streams its
answers, and turns its death into :class:`ModelCrashed`, which the planner answers with a template
plan and one line saying what happened and which command fixes it.
"""

from __future__ import annotations

import json
import logging
import queue
import shlex
import signal
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from typing import Any, NoReturn, TextIO

from reelwright.agent.json_reply import Reply, parse_json_object
from reelwright.errors import LLMUnavailable

log = logging.getLogger(__name__)

#: The build flags of the portable llama.cpp that the README and ``.ci/run`` install: no ``-march=native``.
PORTABLE_CMAKE_ARGS = "-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
#: Signals that mean the native code itself is broken on this machine; retrying cannot help.
HARDWARE_FAULTS = {signal.SIGILL, signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGABRT}
START_TIMEOUT_S = 60.0
#: An answer that takes this long means the model hangs; the process is killed.
STALL_TIMEOUT_S = 30.0
MAX_RESTARTS = 2


def portable_rebuild_command() -> str:
    """The exact command that replaces the installed llama.cpp with the portable build, for this Python."""
    return (
        f'CMAKE_ARGS="{PORTABLE_CMAKE_ARGS}" {shlex.quote(sys.executable)} -m pip install '
        "--force-reinstall --no-cache-dir --no-deps llama-cpp-python"
    )


class ModelCrashed(LLMUnavailable):
    """The model's process died (a signal or an exit) while loading or answering."""

    def __init__(self, message: str, *, fix: str | None, permanent: bool) -> None:
        super().__init__(message)
        self.fix = fix
        self.permanent = permanent


def describe_exit(returncode: int | None) -> ModelCrashed:
    """A message for people from how the model's process ended."""
    if returncode is not None and returncode < 0:
        try:
            sig = signal.Signals(-returncode)
        except ValueError:
            sig = None
        if sig == signal.SIGILL:
            return ModelCrashed(
                "The embedded language model crashed (illegal instruction): llama.cpp was compiled for CPU "
                "features this machine does not allow.",
                fix=portable_rebuild_command(),
                permanent=True,
            )
        if sig in HARDWARE_FAULTS:
            return ModelCrashed(f"The embedded language model crashed ({sig.name}).", fix=portable_rebuild_command(), permanent=True)
        name = sig.name if sig else f"signal {-returncode}"
        return ModelCrashed(f"The embedded language model was stopped ({name}).", fix=None, permanent=False)
    return ModelCrashed(f"The embedded language model exited unexpectedly (code {returncode}).", fix=None, permanent=False)


class LocalModelProcess:
    """A :class:`agent.llm.ChatModel` backed by a llama.cpp child process.

    Requests are served one at a time (a lock), from any thread. A crash with a hardware-fault signal
    disables the model for the life of this object; any other death is retried on the next request
    with a fresh process, at most ``MAX_RESTARTS`` times.
    """

    def __init__(self, model_path: Path, threads: int) -> None:
        self.model_path = model_path
        self.name = f"llamacpp:{model_path.name}"
        self.engine, self.model = "llamacpp", model_path.name
        self._command = [sys.executable, "-m", "reelwright.agent.local_llm_worker", str(model_path), "--threads", str(threads)]
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=20)
        self._ready = False
        self._broken: ModelCrashed | None = None
        self._restarts = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start loading the model in the background (returns at once); requests wait for it."""
        with self._lock:
            self._spawn()

    def write(self, system: str, user: str, *, max_tokens: int, seed: int = 1) -> Reply:
        return self._ask(
            {"system": system, "user": user, "schema": None, "stop": ["\n"], "max_tokens": max_tokens, "temperature": 0.5, "seed": seed}
        )

    def complete_json(self, system: str, user: str, schema: dict[str, Any], *, max_tokens: int) -> dict[str, Any]:
        reply = self._ask({"system": system, "user": user, "schema": schema, "max_tokens": max_tokens, "temperature": 0.3, "seed": 1})
        return parse_json_object(reply.text)

    def _ask(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            self._spawn()
            self._await_ready()
            process = self._process
            assert process is not None and process.stdin is not None
            try:
                process.stdin.write(json.dumps(request) + "\n")
                process.stdin.flush()
            except (BrokenPipeError, OSError):
                self._died()
            event = self._next_event(STALL_TIMEOUT_S)
        if event.get("event") == "error":
            raise LLMUnavailable(f"The embedded language model failed: {event.get('message')}")
        log.debug("embedded model: %s tokens in %ss", event.get("tokens"), event.get("seconds"))
        return Reply(str(event.get("text", "")), int(event.get("tokens", 0)))

    def close(self) -> None:
        with self._lock:
            process, self._process = self._process, None
            if process is None:
                return
            if process.stdin:
                process.stdin.close()
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    # process management -------------------------------------------------------------------------
    def _spawn(self) -> None:
        if self._broken:
            raise self._broken
        if self._process is not None and self._process.poll() is None:
            return
        if self._process is not None:
            self._restarts += 1
            if self._restarts > MAX_RESTARTS:
                self._broken = ModelCrashed("The embedded language model keeps stopping; planning without it.", fix=None, permanent=True)
                raise self._broken
        self._events = queue.Queue()
        self._ready = False
        try:
            self._process = subprocess.Popen(
                self._command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        except OSError as error:
            self._broken = ModelCrashed(f"The embedded language model could not be started ({error.strerror}).", fix=None, permanent=True)
            raise self._broken from error
        threading.Thread(target=self._read_events, args=(self._process.stdout, self._events), daemon=True, name="llm-events").start()
        threading.Thread(target=self._read_stderr, args=(self._process.stderr,), daemon=True, name="llm-stderr").start()

    def _await_ready(self) -> None:
        if self._ready:
            return
        event = self._next_event(START_TIMEOUT_S)
        if event.get("event") == "ready":
            self._ready = True
            log.info("embedded model %s loaded in %ss", event.get("model"), event.get("load_s"))
            return
        message = str(event.get("message", event))
        self._kill()
        self._broken = ModelCrashed(f"The embedded language model could not be loaded ({message}).", fix=None, permanent=True)
        raise self._broken

    def _next_event(self, timeout_s: float) -> dict[str, Any]:
        try:
            event = self._events.get(timeout=timeout_s)
        except queue.Empty:
            self._kill()
            raise ModelCrashed(f"The embedded language model did not answer within {timeout_s:g} s.", fix=None, permanent=False) from None
        if event is None:
            self._died()
        return event

    def _died(self) -> NoReturn:
        process = self._process
        assert process is not None
        try:
            returncode = process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._kill()
            returncode = process.returncode
        crash = describe_exit(returncode)
        log.info("%s (pid %s, exit %s); last output: %s", crash, process.pid, returncode, " | ".join(self._stderr))
        if crash.permanent:
            self._broken = crash
        raise crash

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    @staticmethod
    def _read_events(stream: TextIO, events: queue.Queue[dict[str, Any] | None]) -> None:
        for line in stream:
            try:
                events.put(json.loads(line))
            except json.JSONDecodeError:
                log.debug("embedded model printed: %s", line.rstrip())
        events.put(None)

    def _read_stderr(self, stream: TextIO) -> None:
        for line in stream:
            self._stderr.append(line.rstrip()[:200])

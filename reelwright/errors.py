"""One exception hierarchy with messages written for people.

Features raise these; adapters (the CLI, the Discord bot) turn them into a one-line reply or an exit
code. Anything else that escapes is a bug and is reported as such, never as a traceback in chat.
"""


class ReelwrightError(Exception):
    """An error whose message can be shown to the person as it is."""

    exit_code = 1


class BadRequest(ReelwrightError):
    """The person asked for something we cannot do (empty prompt, 10-hour video, ...)."""

    exit_code = 2


class BadImage(BadRequest):
    """An image option that is missing, not an image, corrupted or too large."""


class NotFound(ReelwrightError):
    """An unknown project, version or file."""

    exit_code = 3


class StorageError(ReelwrightError):
    """The database or artifact store cannot be written (read-only file, full disk)."""

    exit_code = 4


class GenerationError(ReelwrightError):
    """A backend failed to produce a clip or narration."""

    exit_code = 5


class Cancelled(ReelwrightError):
    """The job was cancelled by the person; raised inside backends to stop work early."""

    exit_code = 6


class LLMUnavailable(ReelwrightError):
    """The configured language model cannot be loaded or reached."""

    exit_code = 7

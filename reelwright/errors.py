"""One exception hierarchy with messages written for people.

Features raise these; adapters (the CLI, the Discord bot) turn them into a one-line reply or an exit
code. Anything else that escapes is a bug and is reported as such, never as a traceback in chat.
"""


class ReelwrightError(Exception):
    """An error whose message can be shown to the person as it is.

    Errors meant for whoever runs Reelwright (a database host, a model path, a data folder) set
    ``chat_message``: chat surfaces show that sentence and log the details; the CLI, whose user is
    the operator, prints the details.
    """

    exit_code = 1
    chat_message: str | None = None

    def for_chat(self) -> str:
        return self.chat_message or str(self)


class BadRequest(ReelwrightError):
    """The person asked for something we cannot do (empty prompt, 10-hour video, ...)."""

    exit_code = 2


class BadImage(BadRequest):
    """An image option that is missing, not an image, corrupted or too large."""


class Refused(BadRequest):
    """The moderation policy refused a request, a plan or an edit; the message says why in one line
    and how to appeal (the refusal is in the audit for the guild's admins)."""

    exit_code = 11


class ConsentNeeded(BadRequest):
    """Animating an uploaded photo needs the uploader's confirmation that it is theirs to animate."""

    exit_code = 12


class FaceProblem(BadRequest):
    """A talking shot's photo or clip has no face that can be made to speak (none, too small, turned away);
    the message says what photo works."""


class NotFound(ReelwrightError):
    """An unknown project, version or file."""

    exit_code = 3


class NotAllowed(ReelwrightError):
    """The person may not do that to this project (edit someone else's, share what is only shared with them)."""

    exit_code = 8


class Busy(ReelwrightError):
    """Too much is queued right now; the message says roughly when to try again."""

    exit_code = 9


class Conflict(ReelwrightError):
    """Someone else changed the project between reading it and writing the change (an optimistic check)."""

    exit_code = 10


class BadSettings(ReelwrightError):
    """Reelwright's own configuration (``REELWRIGHT_*``, the ``REELWRIGHT_CONFIG`` file) cannot be used."""

    exit_code = 2
    chat_message = "The bot's settings are wrong; whoever runs it has the details in its log."


class StorageError(ReelwrightError):
    """The database or artifact store cannot be written (read-only file, full disk)."""

    exit_code = 4
    chat_message = "Reelwright cannot reach its storage right now; try again in a few minutes (the operator has the details)."


class GenerationError(ReelwrightError):
    """A backend failed to produce a clip or narration."""

    exit_code = 5
    chat_message = "A generation model failed while making this video; try again, or change the shot (the operator has the details)."


class Cancelled(ReelwrightError):
    """The job was cancelled by the person; raised inside backends to stop work early."""

    exit_code = 6


class LLMUnavailable(ReelwrightError):
    """The configured language model cannot be loaded or reached."""

    exit_code = 7
    chat_message = "The planning model is not available right now; the operator has the details."

"""``python -m bot`` is the ``reelwright`` command."""

from bot.cli import app

app(prog_name="reelwright")

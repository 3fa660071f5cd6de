"""``python -m bot`` is the ``reelwright`` command."""

from reelwright.bot.cli import app

app(prog_name="reelwright")

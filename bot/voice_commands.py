"""``reelwright voices``: the voice catalog, pulling voices, and people's cloned voices.

Each command takes ``--json`` and then prints one JSON object on stdout, like the rest of the CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from reelwright.bot.cli_output import JsonFlag, emit, out
from reelwright.records import ClonedVoiceRecord

if TYPE_CHECKING:
    from reelwright.bot.service import ConversationService

voices = typer.Typer(help="Narration voices: the catalog, pull and remove, and your cloned voices.", no_args_is_help=True)
VoiceArgument = Annotated[str, typer.Argument(help="A voice name from `reelwright voices list`.")]
CloneName = Annotated[str, typer.Argument(help="A name for the voice (letters, digits, - and _); used as clone:NAME.")]


def clone_json(record: ClonedVoiceRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "voice": f"clone:{record.name}",
        "seconds": round(record.sample_seconds, 1),
        "created_at": record.created_at.isoformat(),
    }


@voices.command("list")
def list_voices(as_json: JsonFlag = False) -> None:
    """Every voice: engine, languages, gender and age, licence, and whether it is installed here."""
    from reelwright.bot.cli import cli_user, run

    async def body(service: ConversationService) -> None:
        catalog = await service.voices()
        mine = await service.cloned_voices(cli_user())
        rows = [info.as_json() for info in catalog]

        def human() -> None:
            table = Table("name", "engine", "languages", "voice", "licence", "here")
            for row in rows:
                languages = ", ".join(row["languages"][:6]) + (" …" if len(row["languages"]) > 6 else "")
                table.add_row(row["name"], row["engine"], languages, row["description"], row["licence"], "yes" if row["installed"] else "")
            out.print(table)
            for record in mine:
                out.print(f"clone:{record.name}: your cloned voice ({record.sample_seconds:.0f} s sample)", highlight=False)

        emit(as_json, {"voices": rows, "cloned": [clone_json(record) for record in mine]}, human)

    run(body)


@voices.command("pull")
def pull(
    voice: VoiceArgument,
    agree_licence: Annotated[
        bool, typer.Option("--agree-licence", help="Agree to the voice's licence where it asks (XTTS-v2: the Coqui Public Model License).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Download a voice: Piper voices into the voices folder, coqui-tts models into coqui's cache."""
    from reelwright.bot.cli import run

    async def body(service: ConversationService) -> None:
        path = await service.pull_voice(voice, agree_to_licence=agree_licence)
        emit(as_json, {"name": voice, "path": str(path)}, lambda: out.print(f"{voice}: installed in {path}", highlight=False))

    run(body)


@voices.command("remove")
def remove(voice: VoiceArgument, as_json: JsonFlag = False) -> None:
    """Delete a pulled Piper voice's files."""
    from reelwright.bot.cli import run

    async def body(service: ConversationService) -> None:
        removed = await service.remove_voice(voice)
        emit(
            as_json,
            {"name": voice, "removed": removed},
            lambda: out.print(f"{voice}: {'removed' if removed else 'not installed'}", highlight=False),
        )

    run(body)


@voices.command("clone")
def clone(
    name: CloneName,
    sample: Annotated[Path, typer.Argument(help="A recording of the voice: 10-30 seconds of clear speech (WAV, MP3, M4A, OGG).")],
    confirm: Annotated[
        bool, typer.Option("--confirm", help="Confirm: this is my own voice, or I have the speaker's permission to clone it for my videos.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Store a voice for your own projects ("use my voice", or the voice clone:NAME)."""
    from reelwright.bot.cli import cli_user, run

    async def body(service: ConversationService) -> None:
        record = await service.clone_voice(cli_user(), name, sample, confirmed=confirm)
        emit(
            as_json,
            clone_json(record),
            lambda: out.print(
                f'clone:{record.name} stored ({record.sample_seconds:.0f} s); say "use my voice" in a request or an edit.', highlight=False
            ),
        )

    run(body)


@voices.command("delete")
def delete(name: CloneName, as_json: JsonFlag = False) -> None:
    """Delete one of your cloned voices and its recording."""
    from reelwright.bot.cli import cli_user, run

    async def body(service: ConversationService) -> None:
        record = await service.delete_voice(cli_user(), name)
        emit(
            as_json,
            {"name": record.name, "deleted": True},
            lambda: out.print(f"clone:{record.name} and its recording deleted", highlight=False),
        )

    run(body)

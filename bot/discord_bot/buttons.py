"""Buttons on every result, and the edit modal.

Buttons are ``DynamicItem``s whose custom_id carries the action and project ("rw:reroll:1a2b3c4d"),
registered once at start-up, so they keep working after a restart and need no stored view state.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

import discord
from discord.ext import commands

from reelwright.access import Action
from reelwright.bot.discord_bot.chat import authorized, report_error

if TYPE_CHECKING:
    from reelwright.bot.discord_bot.projects import Projects

ACTIONS = {
    "reroll": ("Reroll", "🎲"),
    "edit": ("Edit", "✏️"),
    "extend": ("Extend", "➕"),
    "narration": ("Narration", "🗣️"),
    "delete": ("Delete", "🗑️"),
}


class ResultButton(discord.ui.DynamicItem[discord.ui.Button], template=r"rw:(?P<action>[a-z]+):(?P<project>[0-9a-f]{8})"):
    def __init__(self, action: str, project_id: str, narration_on: bool = True) -> None:
        label, emoji = ACTIONS[action]
        if action == "narration":
            label = "Narration off" if narration_on else "Narration on"
        style = discord.ButtonStyle.danger if action == "delete" else discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label, emoji=emoji, style=style, custom_id=f"rw:{action}:{project_id}"))
        self.action = action
        self.project_id = project_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]) -> ResultButton:  # type: ignore[override]  # discord.py types item as Item[Any]; ours is always a Button
        return cls(match["action"], match["project"])

    async def callback(self, interaction: discord.Interaction) -> None:
        projects = cast("Projects | None", cast(commands.Bot, interaction.client).get_cog("Projects"))
        if projects is None:
            await interaction.response.send_message("Reelwright is restarting; try again in a moment.", ephemeral=True)
            return
        try:
            await projects.button(interaction, self.action, self.project_id)
        except Exception as error:  # buttons have no command tree: the one error handler is called here
            await report_error(interaction, error)


def result_view(project_id: str, narration_on: bool) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in ACTIONS:
        view.add_item(ResultButton(action, project_id, narration_on))
    return view


class EditModal(discord.ui.Modal, title="Edit the video"):
    instruction: discord.ui.TextInput[EditModal] = discord.ui.TextInput(
        custom_id="instruction",
        label="What should change?",
        placeholder="make shot 2 darker, make it 9:16, no narration…",
        style=discord.TextStyle.paragraph,
        max_length=1000,
    )

    def __init__(self, projects: Projects, project_id: str) -> None:
        super().__init__(timeout=None)
        self.projects = projects
        self.project_id = project_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        # Permission is checked again on submit: it may have changed since the modal opened.
        project = await authorized(self.projects.service, interaction, self.project_id, Action.EDIT)
        if project is None:
            return
        await interaction.response.defer(thinking=True, ephemeral=True)  # a refusal is private; the new version is posted for all
        await self.projects.apply_edit(interaction, project, str(self.instruction.value))

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]  # Modal.on_error narrows BaseView.on_error the same way
        await report_error(interaction, error)

"""Who may do what to a project: one policy for every chat surface.

A project lives where it was made. Its owner and the people they share it with may see and change
it; only the owner may share it onward. A project made in a server (Discord guild) is visible to the
members of that server, and that server's moderators may change it, cancel its renders and unshare
it. A project made in a DM, or locally, is private to its people: no moderator anywhere may touch it.

The surface decides whether someone moderates the project's own channel (Discord checks Manage
Messages there); this module decides what that allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from reelwright.records import ProjectRecord, UserRef


class Action(Enum):
    VIEW = "view"
    EDIT = "edit"  # edit, reroll, cancel a render
    SHARE = "share"
    UNSHARE = "unshare"


class Role(Enum):
    OWNER = "owner"
    SHARED = "shared"


@dataclass(frozen=True)
class Viewer:
    """Someone asking about a project from some place.

    ``guild`` is the server they are asking from (``None`` in DMs and locally). ``moderator`` says
    they moderate the project's own channel in that server; it only counts when that server is the
    project's.
    """

    user: UserRef
    guild: str | None = None
    moderator: bool = False


def permits(action: Action, project: ProjectRecord, role: Role | None, viewer: Viewer) -> bool:
    in_its_guild = project.guild is not None and viewer.guild == project.guild
    moderates = in_its_guild and viewer.moderator
    if action is Action.VIEW:
        return role is not None or in_its_guild
    if action is Action.EDIT:
        return role is not None or moderates
    if action is Action.SHARE:
        return role is Role.OWNER
    return role is Role.OWNER or moderates


REFUSALS = {
    Action.EDIT: "Only the project's owner, people they `/share` it with and this server's moderators can change it.",
    Action.SHARE: "Only the project's owner can share it.",
    Action.UNSHARE: "Only the project's owner and this server's moderators can unshare it.",
}

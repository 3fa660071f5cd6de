"""The moderation gate every request, plan, edit and render passes, and the audit it leaves for admins.

The policy (``agent/moderation.py``) says what is refused; this module applies the right policy —
the guild's own, else the install's default — at each step, records each refusal for review, and
turns it into one line for the person. The service calls it at every point where words become a
plan or a plan becomes a video, so no surface (command, mention, button, edit) can go around it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from pydantic import ValidationError

from reelwright.agent.moderation import ADJUSTABLE, Category, Policy, Refusal, check_plan, check_text
from reelwright.errors import BadRequest, NotAllowed, Refused
from reelwright.plan import ShotPlan
from reelwright.records import RefusalRecord, UserRef
from reelwright.settings import Settings
from reelwright.storage.repository import Repository

log = logging.getLogger(__name__)

#: What a reviewing admin may decide.
DECISIONS = ("upheld", "overturned")
MAX_APPEAL_CHARS = 500


def categories() -> tuple[list[str], list[str]]:
    """(always refused, refused unless a guild turns it off): what the policy lets admins change.
    ``custom`` is neither: it is the guild's own word list."""
    always = [category.value for category in Category if category not in ADJUSTABLE and category != Category.CUSTOM]
    return always, sorted(category.value for category in ADJUSTABLE)


class Moderator:
    def __init__(self, settings: Settings, repository: Repository) -> None:
        self.repository = repository
        self.retention = timedelta(days=settings.audit_retention_days)
        try:
            self.default_policy = Policy(
                disabled=frozenset(Category(name) for name in settings.moderation_disabled),
                blocked_words=tuple(settings.moderation_blocked_words),
            )
        except (ValueError, ValidationError) as error:
            raise BadRequest(f"The moderation settings are not valid: {error}") from error

    def policy(self, guild: str | None) -> Policy:
        """The guild's own policy if its admins set one, else the default."""
        stored = self.repository.guild_policy(guild) if guild is not None else None
        return Policy.model_validate(stored) if stored is not None else self.default_policy

    def set_policy(self, guild: str, policy: Policy, admin: UserRef) -> None:
        self.repository.set_guild_policy(guild, policy.model_dump(mode="json"), admin)

    def update_policy(
        self,
        guild: str,
        admin: UserRef,
        *,
        block: Sequence[str] = (),
        unblock: Sequence[str] = (),
        disable: Sequence[str] = (),
        enable: Sequence[str] = (),
    ) -> Policy:
        """The guild's policy with words blocked or unblocked and general categories turned off or on."""
        current = self.policy(guild)
        always, optional = categories()
        for name in (*disable, *enable):
            if name in always:
                raise BadRequest(f"{name} is always refused; it cannot be turned off.")
            if name not in optional:
                raise BadRequest(f"There is no moderation category {name!r}; there are {', '.join(optional)}.")
        dropped = {word.casefold() for word in unblock}
        words = [word for word in current.blocked_words if word.casefold() not in dropped]
        words += [word for word in block if word.casefold() not in {known.casefold() for known in words}]
        disabled = (set(current.disabled) | {Category(name) for name in disable}) - {Category(name) for name in enable}
        policy = Policy(disabled=frozenset(disabled), blocked_words=tuple(words))
        self.set_policy(guild, policy, admin)
        return policy

    def check_request(self, user: UserRef | None, guild: str | None, text: str, stage: str, project_id: str | None = None) -> None:
        """Refuse words before anything is planned from them (a new request, or an edit's instruction)."""
        refusal = check_text(text, self.policy(guild), where="request" if stage == "request" else "instruction")
        if refusal is not None:
            self._refuse(refusal, user, guild, stage, project_id)

    def check_plan(self, user: UserRef | None, guild: str | None, plan: ShotPlan, stage: str, project_id: str | None = None) -> None:
        """Refuse a plan whose words (written by the model or changed by an edit) the person could not have asked for."""
        refusal = check_plan(plan, self.policy(guild))
        if refusal is not None:
            self._refuse(refusal, user, guild, stage, project_id)

    def _refuse(self, refusal: Refusal, user: UserRef | None, guild: str | None, stage: str, project_id: str | None) -> None:
        refusal_id = self.repository.record_refusal(user, guild, project_id, stage, refusal.category.value, refusal.where, refusal.matched)
        log.info("refused (%s) at %s, %s: refusal #%d", refusal.category.value, stage, refusal.where, refusal_id)
        how = "appeal it with `/appeal`" if user is not None and user.platform == "discord" else "`reelwright audit` lists it"
        raise Refused(f"{refusal.reason} (Refusal #{refusal_id}; if this is a mistake, {how}.)")

    def audit(self, guild: str | None, everywhere: bool = False, limit: int = 20) -> list[RefusalRecord]:
        self.repository.forget_refusals(self.retention)
        return self.repository.refusals(guild, everywhere=everywhere, limit=limit)

    def appeal(self, refusal_id: int, user: UserRef, text: str) -> RefusalRecord:
        text = " ".join(text.split())
        if not text:
            raise BadRequest("Say in a few words why this should not have been refused.")
        return self.repository.appeal_refusal(refusal_id, user, text[:MAX_APPEAL_CHARS])

    def review(self, refusal_id: int, guild: str | None, admin: UserRef, decision: str, note: str | None) -> RefusalRecord:
        if decision not in DECISIONS:
            raise BadRequest(f"A review decides {' or '.join(DECISIONS)}, not {decision!r}.")
        record = self.repository.refusal(refusal_id)
        if record.user is not None and record.user == admin and decision == "overturned":
            raise NotAllowed("An admin cannot overturn their own refusal; ask another admin.")
        return self.repository.decide_refusal(refusal_id, guild, admin, decision, note)

"""A shot's narration line after an edit changed what the shot shows.

"make shot 2 a red kite over the sea" changes shot 2's picture; a line that described the old picture
("Look closer at the cat.") would now talk over a kite. Such a line is written again for the new
description, the way the planner writes lines. A line that is not about the old picture stays: one that
names nothing ("Take it in."), one the edit itself set, a face's own words, and the person's words.

Plans do not record who wrote each line, so the person's words are told by their shape: the planner
writes every line as a sentence (capitalised, ending in a full stop), while words given with "shot 2
says: …" are kept as typed, without the full stop; and words to be said verbatim are in the stated facts.
"""

from __future__ import annotations

from reelwright.agent.planner import (
    as_sentence,
    default_narration,
    fit_narration,
    normalised_line,
    picture_of,
    template_candidates,
)
from reelwright.agent.requirements import keywords
from reelwright.plan import Requirements, Shot, ShotPlan


def refreshed_lines(old: ShotPlan, new: ShotPlan, requirements: Requirements) -> ShotPlan:
    """``new`` with a fresh line for each shot whose picture the edit changed and whose line described the old one."""
    if not new.narration:
        return new
    before = {shot.seed: shot for shot in old.shots}
    shots = list(new.shots)
    for index, shot in enumerate(shots):
        previous = before.get(shot.seed)
        if previous is None or not _describes_the_old_picture(previous, shot, requirements):
            continue
        used = {normalised_line(other.narration) for other in shots if other is not shot and other.narration}
        line = default_narration(
            picture_of(shot.prompt), shot.duration_s, index, len(shots), listed=False, used=used, language=new.language
        )
        shots[index] = shot.model_copy(update={"narration": as_sentence(fit_narration(line, shot.duration_s))})
    return new.model_copy(update={"shots": tuple(shots)})


def _describes_the_old_picture(previous: Shot, shot: Shot, requirements: Requirements) -> bool:
    """Whether ``shot`` kept a line that names what ``previous`` showed and it no longer does."""
    if shot.prompt == previous.prompt or shot.narration != previous.narration or not shot.narration.strip():
        return False  # the picture is the same, or the edit itself said what the shot says
    if shot.talking or _said_verbatim(shot.narration, requirements) or as_sentence(shot.narration) != shot.narration:
        return False  # a face's own words, or words the person gave to be said as written
    gone = keywords(previous.prompt) - keywords(shot.prompt)
    return bool(keywords(shot.narration) & gone)


def _said_verbatim(line: str, requirements: Requirements) -> bool:
    spoken = requirements.spoken_line
    return bool(spoken) and normalised_line(line) in normalised_line(spoken or "")


def relanguaged_lines(old: ShotPlan, new: ShotPlan, requirements: Requirements) -> tuple[ShotPlan, bool]:
    """``new`` (whose narration is now in another language than ``old``'s) with each line code wrote for ``old`` written
    again in the new language, and whether every line was (the person's and the model's words are not translated)."""
    if not new.narration or new.language == old.language:
        return new, True
    subjects = [s for s in (requirements.subject, *(requirements.shots or ())) if s]
    shots = list(new.shots)
    every = True
    for index, shot in enumerate(shots):
        if not shot.narration.strip() or shot.talking:
            continue
        mentions = [*subjects, picture_of(shot.prompt)]
        ours = {
            normalised_line(line)
            for subject in mentions
            for position in range(len(shots))
            for line in template_candidates(subject, position, len(shots), old.language)
        }
        if normalised_line(shot.narration) not in ours:
            every = False
            continue
        used = {normalised_line(other.narration) for other in shots[:index]}
        subject = requirements.shots[index] if requirements.shots and index < len(requirements.shots) else (subjects or mentions)[0]
        line = default_narration(
            subject, shot.duration_s, index, len(shots), listed=bool(requirements.shots), used=used, language=new.language
        )
        shots[index] = shot.model_copy(update={"narration": as_sentence(fit_narration(line, shot.duration_s))})
    return new.model_copy(update={"shots": tuple(shots)}), every

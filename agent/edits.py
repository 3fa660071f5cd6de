"""Conversational edits: an instruction becomes operations that change only what it points at.

The model never rewrites the whole plan (a small one would lose half of it). Rules read the shots an
instruction names ("shot 2", "the last scene", "2nd clip", "the fox shot") and what it says about them
(a new description, a grade, a camera move, a length, slow motion, a narration line, a move, a swap,
an addition); typos are corrected first. Anything the rules cannot read goes to the model, constrained
to the same operation schema, and its answer is accepted only where it touches what the instruction
names, so the narrower change always wins.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from reelwright.agent.edit_lengths import SECONDS, each_shot_seconds, seconds_change, seconds_said
from reelwright.agent.edit_narration import refreshed_lines, relanguaged_lines
from reelwright.agent.edit_ops import (
    AddShot,
    GradeShot,
    MoveShot,
    Operation,
    RemoveShot,
    Reroll,
    ScaleDuration,
    SetShot,
    SetSound,
    SetStyle,
    apply_operations,
)
from reelwright.agent.edit_targets import SHOT_NOUN, ShotRefs, shot_number, shot_refs
from reelwright.agent.edit_wording import POLITE_LEAD, check_aspect, normalise_instruction
from reelwright.agent.json_reply import InvalidModelOutput
from reelwright.agent.line_templates import LANGUAGES as TEMPLATE_LANGUAGES
from reelwright.agent.planner import MAX_SHOTS, as_sentence, check_total, template_language_note
from reelwright.agent.requirements import (
    DROP_WORDS,
    NO_AMBIENCE,
    SILENT_FILM_STYLE,
    blank,
    enforce,
    extract_requirements,
    keywords,
    language_name,
    silent_film,
    sound_requirements,
)
from reelwright.agent.talking import MAX_WORDS_PER_SHOT, asking_to_speak, lines_for, verbatim
from reelwright.agent.voice_requests import has_accent, same_accent, voice_notes
from reelwright.agent.wording import plain_text
from reelwright.errors import BadRequest, LLMUnavailable
from reelwright.plan import MAX_SHOT_S, MIN_SHOT_S, CameraMove, PlannerInfo, Requirements, ShotPlan

if TYPE_CHECKING:
    from reelwright.agent.llm import ChatModel

log = logging.getLogger(__name__)

_GRADES: list[tuple[re.Pattern[str], dict[str, float]]] = [
    (
        re.compile(
            r"\b(?:dark(?:er|en)?|moodier|dimmer|dim|gloomier|less bright|underexposed|m[aá]s oscur[oa]|dunkler|plus sombre|pi[uù] scur[oa]|mais escur[oa]|(?:lower|reduce|decrease|turn down|drop)\s+(?:the\s+)?(?:brightness|exposure))\b",
            re.I,
        ),
        {"brightness": -0.3},
    ),
    (
        re.compile(
            r"\b(?:bright(?:er|en)?|lighter|lighten|more light|less dark|overexposed|m[aá]s brillante|m[aá]s clar[oa]|heller|plus clair|pi[uù] luminos[oa]|mais clar[oa]|(?:raise|increase|boost|turn up|crank up|bump up)\s+(?:the\s+)?(?:brightness|exposure))\b",
            re.I,
        ),
        {"brightness": 0.3},
    ),
    (
        re.compile(r"\b(?:warm(?:er|th)?|golden|more orange|m[aá]s c[aá]lid[oa]|w[aä]rmer|plus chaud|pi[uù] cald[oa]|mais quente)\b", re.I),
        {"warmth": 0.4},
    ),
    (
        re.compile(
            r"\b(?:cool(?:er)?|cold(?:er)?|bluer|icier|more blue|m[aá]s fr[ií][oa]|k[aä]lter|plus froid|pi[uù] fredd[oa]|mais fri[oa])\b",
            re.I,
        ),
        {"warmth": -0.4},
    ),
    (
        re.compile(
            r"\b(?:black\s*(?:and|&|n)\s*white|b\s*&\s*w|b/w|gr[ae]y\s*scale|monochrome|desaturat\w*(?!\s+(?:a (?:bit|little)|slightly))|no colou?rs?|colou?rless|blanco y negro|schwarz[- ]?wei[sß]{1,2}|noir et blanc|bianco e nero|preto e branco)\b",
            re.I,
        ),
        {"saturation": -1.0},
    ),
    (
        re.compile(
            r"\b(?:more (?:colou?rful|saturated|vivid|vibrant)|(?<!less )(?:colou?rful|vivid|vibrant|saturated)|punchier|pop more|(?:boost|increase|raise|crank up|turn up|bump up|more)\s+(?:the\s+)?(?:saturation|colou?rs?))\b",
            re.I,
        ),
        {"saturation": 0.4},
    ),
    (
        re.compile(
            r"\b(?:less (?:colou?rful|saturated|vivid|vibrant|colou?r)|muted|washed out|faded|desaturate(?:d)? (?:a (?:bit|little)|slightly)|(?:lower|reduce|decrease|tone down|turn down)\s+(?:the\s+)?(?:saturation|colou?rs?))\b",
            re.I,
        ),
        {"saturation": -0.4},
    ),
    (
        re.compile(
            r"\b(?:more contrast|contrastier|higher contrast|crisper|punchy|(?:boost|increase|raise|crank up|turn up|bump up|up)\s+(?:the\s+)?contrast)\b",
            re.I,
        ),
        {"contrast": 0.3},
    ),
    (
        re.compile(
            r"\b(?:less contrast|lower contrast|flatter|softer look|(?:lower|reduce|decrease|tone down|turn down)\s+(?:the\s+)?contrast)\b",
            re.I,
        ),
        {"contrast": -0.3},
    ),
]
_CAMERA_WORDS: list[tuple[re.Pattern[str], CameraMove]] = [
    (
        re.compile(
            r"\b(?:zoom(?:s|ing)?\s*in(?:to)?|push(?:es|ing)?\s*in|dolly\s*in|move\s+closer|get\s+closer|slow\s+zoom|zoom(?!\s*(?:s|ing)?\s*out))\b",
            re.I,
        ),
        "zoom_in",
    ),
    (re.compile(r"\b(?:zoom(?:s|ing)?\s*out|pull(?:s|ing)?\s*(?:back|out)|dolly\s*out|move\s+away)\b", re.I), "zoom_out"),
    (
        re.compile(
            r"\bpan(?:s|ning|ned)?\s*(?:to\s*the\s*|towards?\s*the\s*)?left\b|\bschwenk\w*\s+nach\s+links\b|\bpane[oa]\w*\s+a\s+la\s+izquierda\b|\bpanoramique\s+vers\s+la\s+gauche\b|\bpanoramica\s+a\s+sinistra\b",
            re.I,
        ),
        "pan_left",
    ),
    (
        re.compile(
            r"\bpan(?:s|ning|ned)?\s*(?:to\s*the\s*|towards?\s*the\s*)?right\b|\bschwenk\w*\s+nach\s+rechts\b|\bpane[oa]\w*\s+a\s+la\s+derecha\b|\bpanoramique\s+vers\s+la\s+droite\b|\bpanoramica\s+a\s+destra\b|\bpan(?:s|ning)?\b|\bpanning\b",
            re.I,
        ),
        "pan_right",
    ),
    (re.compile(r"\btilt(?:s|ing|ed)?\s*up\b|\bcrane\s*up\b|\bpedestal\s*up\b", re.I), "tilt_up"),
    (re.compile(r"\btilt(?:s|ing|ed)?\s*down\b|\bcrane\s*down\b|\btilt\b", re.I), "tilt_down"),
    (re.compile(r"\borbit(?:s|ing)?\b|\bparallax\b|\bcircle\s+around\b|\b360\b|\brotate\s+around\b|\barc\s+shot\b", re.I), "orbit"),
    (
        re.compile(
            r"\bstatic\b|\bstill\s+camera\b|\b(?:camera|it)\s+still\b|\bhold\s+still\b|\bstay\s+still\b|\bno\s+camera\s+(?:move|movement)\w*|\blocked[- ]off\b|\btripod\b|\bstop\s+(?:the\s+)?(?:camera\s+)?moving\b",
            re.I,
        ),
        "static",
    ),
]
_MOTION = [
    (
        re.compile(
            r"\b(?:in\s+)?(?:slow[- ]?mo(?:tion)?|slo[- ]?mo|slowed\s+down|c[aá]mara\s+lenta|zeitlupe|ralenti|rallentatore)\b", re.I
        ),
        "slow motion",
    ),
    (re.compile(r"\b(?:(?:a|in)\s+)?(?:time[- ]?lapse|fast[- ]?motion|sped\s+up|hyperlapse)\b", re.I), "time-lapse"),
]
_LONGER = re.compile(r"\b(?:longer|extend(?:ed)?|lengthen|more time|stretch|linger|hold (?:it )?longer)\b", re.I)
_SHORTER = re.compile(r"\b(?:shorter|shorten|trim|tighten|quicker|less time|cut (?:it )?down)\b", re.I)
_DOUBLE = re.compile(r"\b(?:double (?:the |its )?(?:length|duration|time)|double it|twice as long)\b", re.I)
_HALVE = re.compile(r"\b(?:halve|half as long|half the length)\b", re.I)
_REROLL = re.compile(
    r"\b(?:re-?roll|re-?generate|redo|re-?do|try (?:it |that )?again|another (?:take|version|try|go)|new (?:take|version|seeds?)|different (?:take|version|seeds?)|re-?render|re-?shoot|one more time|regenera|neu generieren)\b",
    re.I,
)
_REMOVE = re.compile(
    r"\b(?:remove|delete|drop|get rid of|lose|kill|take out|scrap|ditch|eliminate|cut out|cut|borra|elimina|quita|l[oö]sche|entferne|supprime|enl[eè]ve|rimuovi|remova|apaga|tira)\b",
    re.I,
)
_SWAP = re.compile(r"\b(?:swap|switch|exchange|flip|trade|interchange|intercambia|tausche|[ée]change|scambia|troca)\b", re.I)
_REVERSE = re.compile(
    r"\b(?:reverse (?:the )?order|in reverse order|reverse (?:the )?(?:shots|scenes|clips)|backwards order|play (?:it )?backwards)\b", re.I
)
_MOVE = re.compile(r"\b(?:move|put|place|bring|shift|reorder|mueve|verschiebe|d[ée]place|sposta|mova)\b", re.I)
_ADD = re.compile(
    r"\b(?:add|insert|append|include|throw in|tack on|stick in|put in|a[nñ]ade|agrega|f[uü]ge|hinzu|ajoute|aggiungi|adicione|adiciona|acrescenta)\b",
    re.I,
)
_END_WITH = re.compile(
    r"\b(?:end|finish|close|wrap(?: it)? up)\s+(?:it\s+|the video\s+)?with\s+(?:a\s+shot\s+of\s+)?(?P<d>.+)$|\b(?:start|begin|open)\s+(?:it\s+|the video\s+)?with\s+(?:a\s+shot\s+of\s+)?(?P<s>.+)$",
    re.I,
)
_GLOBAL = re.compile(
    r"\b(?:everything|every shot|every scene|all (?:the )?(?:shots|scenes|clips)|all of it|whole (?:thing|video|clip)|entire (?:thing|video)|the video|it all|overall|throughout)\b|\bit\b",
    re.I,
)
_STYLE = re.compile(
    r"\b(?:in the style of|make it look like|look like|style\s*:|in (?:an?\s+)?(?P<s>[\w' -]{2,30}?) style)\s*(?P<rest>.*)$", re.I
)
_TITLE = re.compile(
    r"\b(?:title(?: it)?|call it|name it|rename(?: it)?(?: to)?|change the (?:title|name) to)\s*[:=]?\s*[\"“']?(?P<t>[^\"”']+?)[\"”']?\s*$",
    re.I,
)
_PROMPT_VERBS = r"(?:make|turn|change|set|replace|switch|transform|convert|have|let|update|rewrite|edit|redo|swap|fix|haz|cambia|mach|[äa]ndere|fais|change|rendi|cambia|fa[cç]a|muda|troca)"
_DESCRIPTION_LEAD = re.compile(
    r"^\s*(?:to|into|in|with|be|become|as|show(?:ing)?|display|feature|depict|:|=|-|->|→|so (?:it|that it) shows|so it's|so that|por|en|zu|in|en|par|con|com|para)?\s*"
    r"(?:show(?:ing)?\s+|be\s+|a\s+shot\s+of\s+|an?\s+image\s+of\s+|it\s+shows?\s+)?",
    re.I,
)


@dataclass(frozen=True)
class Reading:
    """What the rules read in an instruction: the operations, and the shots it names."""

    ops: list[Operation]
    named: set[int]
    #: Stated facts the instruction changes by referring to the plan ("swap the piano for strings": the music).
    facts: dict[str, object] = field(default_factory=dict)
    #: The facts it states outright ("9:16", "a female voice", "make it 20 seconds").
    stated: Requirements = field(default_factory=Requirements)
    #: Parts of it that no rule could read ("duplicate shot 2"): refused, never guessed into a shot's description.
    unread: tuple[str, ...] = ()

    def __add__(self, other: Reading) -> Reading:
        stated = {**self.stated.model_dump(exclude_none=True), **other.stated.model_dump(exclude_none=True)}
        return Reading(
            self.ops + other.ops,
            self.named | other.named,
            {**self.facts, **other.facts},
            Requirements.model_validate(stated),
            self.unread + other.unread,
        )


def _grade_from(text: str) -> dict[str, float]:
    grade: dict[str, float] = {}
    for pattern, values in _GRADES:
        if pattern.search(text):
            for key, value in values.items():
                grade[key] = grade.get(key, 0.0) + value
    return grade


def _camera_from(text: str) -> CameraMove | None:
    return next((camera for pattern, camera in _CAMERA_WORDS if pattern.search(text)), None)


def _strip_modifiers(text: str) -> str:
    """What is left of a description once grades, camera moves, lengths and motion words are read."""
    for pattern, _ in [*_GRADES, *_CAMERA_WORDS, *_MOTION]:
        text = pattern.sub(" ", text)
    for pattern in (_LONGER, _SHORTER, _DOUBLE, _HALVE, SECONDS):
        text = pattern.sub(" ", text)
    text = re.sub(
        r"\b(?:a\s+(?:bit|little)|much|slightly|way|more|less|lot|very|too|and|also|then|the camera|camera|"
        r"should|a|an|it|look|looks|make|by|to|with|than|now|so|super|really|abit|tad|bit)\b",
        " ",
        text,
        flags=re.I,
    )
    return re.sub(r"[\s,.;:!&+-]+", " ", text).strip()


def _modifier_ops(shot_id: int, text: str, plan: ShotPlan) -> list[Operation]:
    """Grades, camera moves, lengths and motion words said about one shot."""
    ops: list[Operation] = []
    shot = plan.shot(shot_id) if shot_id <= len(plan.shots) else None
    longer, shorter = bool(_LONGER.search(text)), bool(_SHORTER.search(text))
    if _DOUBLE.search(text):
        ops.append(ScaleDuration(shot=shot_id, factor=2.0))
    elif _HALVE.search(text):
        ops.append(ScaleDuration(shot=shot_id, factor=0.5))
    elif shot and (change := seconds_change(text, longer=longer, shorter=shorter)) is not None:
        ops.append(SetShot(shot=shot_id, duration_s=shot.duration_s + change))
    elif (seconds := seconds_said(text)) is not None:
        ops.append(SetShot(shot=shot_id, duration_s=seconds))
    elif longer or shorter:
        ops.append(ScaleDuration(shot=shot_id, factor=1.5 if longer else 0.66))
    if camera := _camera_from(text):
        ops.append(SetShot(shot=shot_id, camera=camera))
    if grade := _grade_from(text):
        ops.append(GradeShot.model_validate({"shot": shot_id, **grade}))
    for pattern, words in _MOTION:
        if pattern.search(text) and shot is not None and words not in shot.prompt.lower():
            ops.append(SetShot(shot=shot_id, prompt=f"{shot.prompt}, {words}"))
    return ops


def _description(text: str) -> str:
    """A new shot description as the person wrote it, without the leading "to"/"into"/"show"."""
    text = re.sub(
        r"^\s*(?:should|must|needs? to|has to|could|can|will|would)\s+(?=(?:show|be|become|feature|depict|display)\b)", "", text, flags=re.I
    )
    text = _DESCRIPTION_LEAD.sub("", text, count=1)
    text = re.sub(r"\b(?:should|must|needs? to|has to)\s+be\s+", "", text, flags=re.I)
    text = re.sub(r"\binstead\b\s*$", "", text, flags=re.I)
    return text.strip(" ,.;:!?\"'“”")


def _content_ops(shot_id: int, text: str, plan: ShotPlan) -> list[Operation]:
    """A description said about one shot: a new prompt, or an addition to the old one ("at night")."""
    if shot_id > len(plan.shots):
        return []
    description = _description(text)
    leftover = _strip_modifiers(description)
    if len(leftover.split()) == 0 or not re.search(r"[^\W\d_]{3,}", leftover):
        return []
    old = plan.shot(shot_id).prompt
    if match := re.match(
        r"^(?:but\s+)?(?P<prep>at|in|during|under|with|without|on|near|inside|outside|by|from|while|but)\b\s*(?P<rest>.+)$",
        description,
        re.I,
    ):
        addition = description if match.group("prep").lower() != "but" else match.group("rest")
        addition = re.sub(r"^but\s+", "", addition, flags=re.I)
        modifiers = _modifier_ops(shot_id, addition, plan)
        addition = _strip_motion(addition) if modifiers else addition
        return [SetShot(shot=shot_id, prompt=f"{old}, {addition}".strip(", "))] if _strip_modifiers(addition) else []
    if match := _ADDITION.match(description):  # "feel lonelier", "needs a bird in it": the shot stays, with more
        addition = re.sub(r"\s+(?:in it|in there|there|too|as well|also)$", "", match.group("rest"), flags=re.I).strip(" ,.")
        if match.group("verb").lower().startswith(("need", "have", "has", "include", "add", "get a", "put")):
            addition = f"with {addition}"
        return [SetShot(shot=shot_id, prompt=f"{old}, {addition}")] if addition else []
    if re.fullmatch(r"[^\W\d_]+(?:ing|y|ed)", description):  # "make shot 1 snowing", "foggy": the same shot, so
        return [SetShot(shot=shot_id, prompt=f"{old}, {description}")]
    return [SetShot(shot=shot_id, prompt=_strip_motion(description) or description)]


_ADDITION = re.compile(
    r"^(?P<verb>feel|feels|look|looks|seem|seems|appear|appears|get|gets|become|becomes|needs?|should have|must have|has|have|"
    r"include|includes|add|put)\s+(?:more\s+)?(?P<rest>.+)$",
    re.I,
)


def _strip_motion(text: str) -> str:
    for pattern, _ in _MOTION:
        text = pattern.sub("", text)
    return re.sub(r"\s{2,}", " ", text).strip(" ,.;:")


def _destination(text: str, source: int, count: int, refs: list[int]) -> int | None:
    """Where "move shot N ..." sends it: a 1-based position after the move."""
    lower = text.lower()
    if match := re.search(r"\bafter\s+(?:the\s+)?(?:shot|scene|clip)?\s*#?\s*(\w+)", lower):
        target = shot_number(match.group(1), count) or (refs[1] if len(refs) > 1 else None)
        if target:
            return target if source < target else target + 1
    if match := re.search(r"\bbefore\s+(?:the\s+)?(?:shot|scene|clip)?\s*#?\s*(\w+)", lower):
        target = shot_number(match.group(1), count) or (refs[1] if len(refs) > 1 else None)
        if target:
            return target - 1 if source < target else target
    if re.search(
        r"\b(?:to|at|as)\s+(?:the\s+)?(?:start|beginning|front|top|opening)|\bfirst\b|\bopen(?:s|ing)? (?:the video|it)\b|\bto the start\b|\bal principio\b|\bau d[ée]but\b|\ban den anfang\b",
        lower,
    ):
        return 1
    if re.search(
        r"\b(?:to|at|as)\s+(?:the\s+)?(?:end|bottom|back|finale?|closing)|\blast\b|\bclos(?:e|es|ing) (?:the video|it)\b|\bal final\b|\b[aà] la fin\b|\bans ende\b",
        lower,
    ):
        return count
    if match := re.search(
        r"\b(?:position|slot|place|spot)\s*#?\s*(\w+)|\b(?:to|in)\s+(\w+)\s+(?:position|place)\b|\bthe\s+(\w+)\s+(?:shot|scene|clip)\b",
        lower,
    ):
        token = next(g for g in match.groups() if g)
        return shot_number(token, count)
    return None


def _add_ops(text: str, plan: ShotPlan) -> list[Operation]:
    count = len(plan.shots)
    lower = text.lower()
    description = ""
    if match := re.search(
        r"\b(?:add|insert|append|include|throw in|tack on|stick in|put in|a[nñ]ade|agrega|ajoute|aggiungi|adicione|adiciona)\s+(?:in\s+)?"
        r"(?:(?:a|an|another|one more|one|new|extra|1|un|une|una|uno|um|uma)\s+)?(?:(?:\d+(?:\.\d+)?\s*(?:s|sec|secs|seconds?)|[\w-]+)\s+){0,3}?"
        r"(?:shot|scene|clip|one|plano|escena|sc[eè]ne|scena|cena|einstellung|szene)s?\b\s*(?:of|showing|with|where|that shows|featuring|:|-|de|con|avec|mit|di|com)?\s*(?P<d>.*)$",
        text,
        re.I,
    ):
        description = match.group("d")
    elif match := _END_WITH.search(text):
        description = match.group("d") or match.group("s") or ""
    elif match := re.search(
        r"\b(?:add|insert|append|include)\s+(?P<d>.+?)\s+(?:at the (?:end|start|beginning)|after shot|before shot|between|as (?:the )?(?:first|last|final|opening|closing))",
        text,
        re.I,
    ):
        description = match.group("d")
    after = count
    if re.search(
        r"\b(?:opening|intro(?:duction)?|first|starting)\s+(?:shot|scene|clip)\b|\bat the (?:start|beginning|front)\b|\bbefore (?:everything|the first)\b|\bto start\b|\bstart(?:s)? with\b|\b(?:open|begin)(?:s)? with\b|\bas (?:the )?(?:first|opening)\b",
        lower,
    ):
        after = 0
    elif match := re.search(r"\bafter\s+(?:the\s+)?(?:shot|scene|clip)?\s*#?\s*(\w+)", lower):
        after = shot_number(match.group(1), count) or count
    elif match := re.search(r"\bbefore\s+(?:the\s+)?(?:shot|scene|clip)?\s*#?\s*(\w+)", lower):
        number = shot_number(match.group(1), count)
        after = number - 1 if number else count
    elif match := re.search(r"\bbetween\s+(?:shots?|scenes?|clips?)?\s*(\w+)\s+(?:and|&)\s+(?:shot|scene|clip)?\s*(\w+)", lower):
        first = shot_number(match.group(1), count)
        after = first if first else count
    description = re.sub(
        r"\s*\b(?:at the (?:end|start|beginning|front)|after\s+(?:the\s+)?(?:shot|scene|clip)?\s*#?\s*\w+(?:\s+(?:shot|scene|clip))?|before\s+(?:the\s+)?(?:shot|scene|clip)?\s*#?\s*\w+(?:\s+(?:shot|scene|clip))?|"
        r"between\s+(?:shots?|scenes?|clips?)?\s*\w+\s+(?:and|&)\s+(?:shot|scene|clip)?\s*\w+|as (?:the )?(?:first|last|final|opening|closing)(?:\s+(?:shot|one))?|to (?:start|end|finish)(?: with)?|too)\b.*$",
        "",
        description,
        flags=re.I,
    )
    seconds = seconds_said(text)
    description = SECONDS.sub(" ", description)
    description = re.sub(r"\s{2,}", " ", description).strip(" ,.;:!?\"'")
    description = re.sub(r"^(?:of|showing|with|where|featuring)\s+", "", description, flags=re.I)
    if not re.search(r"[^\W\d_]{3,}", description):
        return []
    narration = as_sentence(description) if plan.narration else ""
    return [AddShot(after=after, prompt=description, narration=narration, duration_s=seconds)]


_LEVEL_DOWN = r"(?:quieter|softer|lower|down|less\s+loud|more\s+quiet|more\s+subtle|subtler|fainter|in\s+the\s+background)"
_LEVEL_UP = r"(?:louder|up|higher|more\s+present|stronger|more\s+audible)"
_MUSIC_WORD = r"(?:music|soundtrack|song|bgm|score)"
_AMBIENCE_WORD = r"(?:ambien(?:ce|t(?:\s+sounds?)?)|background\s+(?:noise|sounds?)|sound\s+effects?|sfx|atmosphere|soundscape|(?:rain|city|street|traffic|wind|wave|ocean|crowd|forest|bird)\s+(?:sounds?|noises?))"


def _amount_after(group: str) -> str:
    """ "… a little", "… just a tad", "… slightly", "… a lot", "… a little bit" after the change, as ``group``."""
    return rf"(?P<{group}>\s+(?:just\s+)?(?:(?:a\s+)?(?:little|tad|touch|bit|lot)(?:\s+bit)?|slightly))?"


_AMOUNT_BEFORE = r"(?:a\s+)?(?:(?:little|tad|touch|bit)\s+|slightly\s+|much\s+|a\s+lot\s+|way\s+)*"
_DIRECTION = r"turn\s+down|lower|reduce|soften|quiet(?:en)?|turn\s+up|raise|boost|increase"


@lru_cache(maxsize=64)
def _level_change(ambiences: tuple[str, ...], music: tuple[str, ...]) -> re.Pattern[str]:
    """Level changes of the music or ambience; the plan's own ``ambiences`` ("wind", "the seagull sounds") and the
    words of its ``music`` ("the guitar") name them too."""
    names = "".join(f"|{_own(name)}" for name in sorted(ambiences + music, key=len, reverse=True))
    bed = rf"(?:{_MUSIC_WORD}|{_AMBIENCE_WORD}{names})"
    beds = rf"{bed}(?:\s+(?:and|&)\s+(?:the\s+)?{bed})?"  # one bed or both: "the music and the ambience"
    where = r"(?:\s+(?:in|on|of|for|under)\s+(?:the\s+)?(?:shot|scene|clip)s?\s*#?\s*\w+)?"
    return re.compile(
        rf"\b(?:make|turn|set|put|bring|keep)?\s*(?:the\s+)?(?P<what>{beds})\s+(?P<amount>{_AMOUNT_BEFORE})(?P<dir>{_LEVEL_DOWN}|{_LEVEL_UP})\b{_amount_after('after')}"
        rf"|\b(?P<verb>{_DIRECTION})\s+(?:the\s+)?(?:(?:volume|level)\s+of\s+(?:the\s+)?)?(?P<what2>{beds})(?:\s+(?:volume|level))?\b{_amount_after('after2')}"
        rf"|\b(?P<what3>{beds})\s+(?:volume|level)s?\s+(?P<dir3>{_LEVEL_DOWN}|{_LEVEL_UP})\b"
        rf"|\b(?P<what4>{beds}){where}\s+(?:is|are|sounds?)\s+(?:(?:way|much|a\s+bit|a\s+little|slightly)\s+)?too\s+(?P<dir4>loud|quiet|soft|low|faint)\b"
        rf"|\b(?P<what5>{beds}){where}\s+(?:should|could|needs?\s+to|has\s+to|must)\s+be\s+(?P<amount5>{_AMOUNT_BEFORE})(?P<dir5>{_LEVEL_DOWN}|{_LEVEL_UP})\b"
        rf"|\b(?P<dir6>less|more)\s+(?P<what6>{beds})\b(?!\s+(?:sounds?|noises?))"
        rf"|\b(?:could|can|would)\s+(?:you\s+make\s+)?(?:the\s+)?(?P<what7>{beds})\s+be\s+(?P<amount7>{_AMOUNT_BEFORE})(?P<dir7>{_LEVEL_DOWN}|{_LEVEL_UP})\b",
        re.I,
    )


def _own(name: str) -> str:
    """A name of the plan's own sound as people say it: plural or not, with "sounds" or "noise" or not."""
    return rf"{re.escape(name)}(?:e?s)?(?:\s+(?:sounds?|noises?))?"


def _music_words(plan: ShotPlan) -> tuple[str, ...]:
    """The words that name the plan's music besides "music": its instruments and kinds ("guitar", "jazz")."""
    described = plan.music.prompt.lower().split() if plan.music is not None else []
    return tuple(word for word in described if len(word) > 2 and word not in _MOODS and word.isalpha())


_SHOT_TAIL = re.compile(
    r"^\s*(?:to|in|on|for|under|over|from)\s+(?:the\s+)?(?:(?:shot|scene|clip)s?\s*#?\s*\w+"
    r"|(?:first|second|third|fourth|fifth|sixth|last|final|opening|closing|next)\s+(?:shot|scene|clip)s?\b)",
    re.I,
)


@lru_cache(maxsize=64)
def _ambience_dropped(ambiences: tuple[str, ...]) -> re.Pattern[str]:
    """ "get rid of the wind", "no more rain": one of the plan's own ambiences named and removed."""
    names = "|".join(re.escape(name) for name in sorted(ambiences, key=len, reverse=True))
    return re.compile(
        rf"\b(?:{DROP_WORDS}|no\s+more)\s+(?:the\s+|all\s+the\s+|any\s+)?(?P<name>{names})(?:e?s)?\b(?:\s+(?:sounds?|noises?))?", re.I
    )


#: "swap the piano for strings": words of the music's description replaced.
_MUSIC_SWAP = re.compile(
    r"\b(?:swap|replace|change|switch|trade|exchange)\s+(?:the\s+)?(?P<old>[\w' -]{2,40}?)\s+(?:for|with|to|into)\s+(?:some\s+|a\s+|an\s+)?"
    r"(?P<new>[\w' -]{2,40}?)\s*(?=$|[,.;!?]|\band\b)",
    re.I,
)
#: "make the music more dramatic": a new mood for the same music.
_MUSIC_MOOD = re.compile(
    rf"\b(?:make|let)\s+(?:the\s+)?{_MUSIC_WORD}\s+(?:(?:a\s+)?(?:bit|little|lot|much)\s+)?(?:more\s+)?(?!(?:{_LEVEL_DOWN}|{_LEVEL_UP})\b)(?P<mood>[\w-]{{3,20}})\b",
    re.I,
)
#: Words that say how music feels; a new one replaces them ("calm piano" made more dramatic is "dramatic piano").
_MOODS = frozenset(
    "calm upbeat dramatic epic sad happy dark gentle soft chill relaxing relaxed energetic tense cheerful melancholic melancholy "
    "mysterious romantic playful uplifting peaceful intense eerie spooky joyful moody hopeful serene triumphant nostalgic "
    "suspenseful lively mellow fast slow warm bright somber sombre".split()
)


def _music_description(text: str, plan: ShotPlan) -> tuple[str, tuple[int, int]] | None:
    """A new description of the plan's music said with reference to the old one ("swap the piano for strings",
    "make the music more dramatic"), and where it was said."""
    described = plan.music.prompt if plan.music is not None else ""
    if (swap := _MUSIC_SWAP.search(text)) and described:
        old = re.sub(rf"\s*\b{_MUSIC_WORD}\b\s*", " ", swap.group("old"), flags=re.I).strip()
        if old and re.search(rf"\b{re.escape(old)}\b", described, re.I):
            new = re.sub(rf"\s*\b{_MUSIC_WORD}\b\s*", " ", swap.group("new"), flags=re.I).strip()
            return re.sub(rf"\b{re.escape(old)}\b", new, described, count=1, flags=re.I), swap.span()
    if mood := _MUSIC_MOOD.search(text):
        kept = [word for word in described.split() if word.lower() not in _MOODS]
        return " ".join([mood.group("mood").lower(), *kept]), mood.span()
    return None


def _sound_ops(
    text: str, plan: ShotPlan, refs: list[tuple[int, tuple[int, int]]]
) -> tuple[list[Operation], dict[str, object], list[tuple[int, int]]]:
    """Level changes of the music or ambience, ambience added or removed (for the shots named, else all), a new
    description of the music (a stated fact), and the spans that said so: a sound change re-renders no shot."""
    ops: list[Operation] = []
    facts: dict[str, object] = {}
    spans: list[tuple[int, int]] = []
    ambiences = tuple(sorted({shot.ambience.lower() for shot in plan.shots if shot.ambience}))
    instruments = _music_words(plan)
    for match in _level_change(ambiences, instruments).finditer(text):
        groups = {name: value.lower() for name, value in match.groupdict().items() if value}
        what = next(groups[name] for name in ("what", "what2", "what3", "what4", "what5", "what6", "what7") if name in groups)
        direction = next((groups[name] for name in ("dir", "verb", "dir3", "dir5", "dir6", "dir7") if name in groups), "")
        if "dir4" in groups:
            direction = "down" if groups["dir4"] == "loud" else "up"  # "too loud": turn it down
        down = bool(re.match(_LEVEL_DOWN + r"|turn\s+down|lower|reduce|soften|quiet|less", direction, re.I))
        amount = " ".join(groups.get(name, "") for name in ("amount", "after", "after2", "amount5", "amount7"))
        step = 3.0 if re.search(r"little|tad|touch|bit|slightly", amount) else 10.0 if re.search(r"much|\blot\b|\bway\b", amount) else 6.0
        change = -step if down else step
        music = bool(re.search(rf"\b{_MUSIC_WORD}\b", what, re.I)) or any(re.search(rf"\b{_own(word)}\b", what) for word in instruments)
        ambience = bool(re.search(rf"\b{_AMBIENCE_WORD}\b", what, re.I)) or any(re.search(rf"\b{_own(a)}\b", what) for a in ambiences)
        ops.append(SetSound(music_volume_db=change if music else 0.0, ambience_volume_db=change if ambience else 0.0))
        spans.append(match.span())
    if described := _music_description(blank(text, spans), plan):
        facts = {"music": True, "music_prompt": described[0]}
        spans.append(described[1])
    ids = [number for number, _ in refs]
    said, said_spans = sound_requirements(text)
    dropped = _ambience_dropped(ambiences).search(text) if ambiences else None
    if "ambience" in said and not any(isinstance(op, SetSound) and op.ambience_volume_db for op in ops):
        targets: list[int | None] = list(dict.fromkeys(ids)) or [None]
        ops += [SetSound(ambience=str(said["ambience"]), shot=shot) for shot in targets]
        spans += said_spans[:1]
        if said_spans and (tail := _SHOT_TAIL.match(text[said_spans[0][1] :])):
            spans.append((said_spans[0][1], said_spans[0][1] + tail.end()))
    elif cleared := NO_AMBIENCE.search(text):
        targets = list(dict.fromkeys(ids)) or [None]
        ops += [SetSound(ambience="", shot=shot) for shot in targets]
        spans.append(cleared.span())
    elif dropped:
        name = dropped.group("name").lower()
        having = [shot.id for shot in plan.shots if shot.ambience.lower() == name]
        ops += [SetSound(ambience="", shot=shot) for shot in (list(dict.fromkeys(ids)) or having)]
        spans.append(dropped.span())
        if tail := _SHOT_TAIL.match(text[dropped.end() :]):
            spans.append((dropped.end(), dropped.end() + tail.end()))
    return ops, facts, spans


#: Clauses that keep something as it is ("the music is fine, …", "keep the voice as it is", "shot 1 looks great but …"):
#: they change nothing, and their words must not become a shot's content.
_KEEP_AS_IS = re.compile(
    r"(?:^|(?<=[,;.!?])|\b(?:but|and)\b)\s*(?:"
    r"(?:the\s+|this\s+|that\s+|its?\s+)?(?:[\w#-]+\s+){0,2}?(?:[\w#-]+'s|is|are|'s|looks?|sounds?|seems?)\s+(?:just\s+|really\s+|totally\s+|perfectly\s+|already\s+)?"
    r"(?:fine|good|ok(?:ay)?|great|perfect|nice|right|lovely|alright|all\s+right)(?:\s+(?:as\s+(?:it\s+is|is)|now))?"
    r"|(?:keep|leave)\s+(?:the\s+)?(?:music|soundtrack|narration|voice|ambience|sound|audio|title|style)\s+(?:as\s+(?:it\s+is|is)|alone|the\s+same|unchanged)"
    r"|don'?t\s+(?:change|touch)\s+(?:the\s+)?(?:music|soundtrack|narration|voice|ambience|sound|audio|title|style)"
    r")\s*(?=$|[,;.!?]|\b(?:but|and|just|only|now|then)\b)"
    # "perfect, now make …", "great! …", "love it. …"
    r"|^\s*(?:(?:that'?s|it'?s|this\s+is|looks|sounds)\s+)?(?:perfect|great|nice|cool|awesome|good|ok(?:ay)?|thanks?|thank\s+you|love\s+it|lovely|"
    r"amazing|wow|beautiful|excellent|brilliant|sweet|yes|yep|yeah)\b[\s!.,]*(?=$|[,!.]|\b(?:now|then|but|and|just|only|can|could|please|make)\b)",
    re.I,
)


def without_kept(text: str) -> str:
    """The instruction without its clauses that keep things as they are: only what it changes."""
    kept = [match.span() for match in _KEEP_AS_IS.finditer(text)]
    if not kept:
        return text
    return re.sub(r"^(?:(?:but|and|so|then|now|just|only)\b[\s,]*)+", "", _blank_spans(text, kept), flags=re.I)


def read_instruction(instruction: str, plan: ShotPlan) -> Reading:
    """Every change an instruction asks for, part by part: "make shot 1 darker, and use a female voice, also 9:16".

    A part without shots of its own that changes how shots look or last is about the shots the part before
    named ("change shot 3 to a dog and make it black and white"); a part that only names shots ("I don't like
    shot 4, regenerate it") says which shots the next one is about.
    """
    text = without_kept(normalise_instruction(instruction))
    check_aspect(text)
    check_not_going_back(text)
    reading = Reading([], set())
    context: list[int] = []
    pending: tuple[str, ...] = ()  # a part that only named shots, waiting for the part that says what to do with them
    reorders = 0
    for part in edit_parts(text, plan):
        own = list(dict.fromkeys(number for number, _ in shot_refs(part, plan)))
        inherited = context if not own and _continues(part) else []
        read = _read_part(part, plan, inherited)
        if not inherited:
            reading, pending = reading + _unread(pending), ()
        if _changes_something(read) or read.unread:
            reading, pending = reading + read, ()
        elif own:
            pending = (part,)
        else:
            reading += _unread((part,))
        context = own or inherited or context
        reorders += any(isinstance(op, _REORDERING) for op in read.ops)
    if reorders > 1:
        raise BadRequest(
            'One change to which shots there are, or their order, per message: shot numbers change after each. Say e.g. "remove shot 2", then "add a shot of … at the end".'
        )
    reading += _unread(pending)
    # Every part names shots as they are now: changes to them first, then the one change of order.
    return dataclasses.replace(reading, ops=sorted(reading.ops, key=lambda op: isinstance(op, _REORDERING)))


_REORDERING = (AddShot, RemoveShot, MoveShot)


#: "undo", "revert that", "go back to version 1", "the previous version was better".
_GOING_BACK = re.compile(
    r"^\s*(?:undo|revert|roll\s*back)\b|\b(?:undo|revert|roll\s*back)\s+(?:that|this|it|the\s+(?:last\s+)?(?:edit|change|one))\b"
    r"|\b(?:go|get|take\s+(?:me|it)|switch|change\s+it)\s+back\s+to\s+(?:the\s+)?(?:version\s*#?\s*(?P<n>\d+)|v(?P<v>\d+)\b|(?:previous|last|old|original|first)\s+(?:version|one))"
    r"|\b(?:previous|last|old|original)\s+version\b",
    re.I,
)


def check_not_going_back(text: str) -> None:
    """Going back is a whole instruction of its own ("undo", "go back to version 2": ``agent/revert.py``,
    handled before any edit); one mixed with other words ("undo the music") is not read as a change."""
    if _GOING_BACK.search(text):
        raise BadRequest(
            'To go back, say only "undo" or "go back to version N" (every version is kept); '
            'to change one thing back, say what, e.g. "bring back the music" or "make shot 2 brighter".'
        )


def _unread(parts: tuple[str, ...]) -> Reading:
    return Reading([], set(), unread=parts)


def _changes_something(reading: Reading) -> bool:
    return bool(reading.ops or reading.facts or reading.stated.model_dump(exclude_none=True))


#: Where one change ends and the next begins: "…; …", "… also …", "…, then …" always, and "… and …" or "…, …"
#: when what follows starts a change of its own ("…, and use a female voice", "… and the last one brighter").
_BREAK = re.compile(r"\s*(?:(?P<hard>;|\.\s|,?\s*\balso\b|,?\s*\band\s+then\b|,\s*then\b)|,\s*and\b|\band\b|,)\s*", re.I)
_QUOTED = re.compile(r"[\"“«][^\"”»]*(?:[\"”»]|$)|(?<!\w)'[^']*(?:'(?!\w)|$)")
_STARTS_A_CHANGE = re.compile(
    r"(?:please\s+)?(?:make|change|turn|set|replace|swap|switch|move|put|remove|delete|drop|add|insert|append|use|give|zoom|pan|tilt|orbit|"
    r"re-?roll|regenerate|redo|mute|cut|shorten|lengthen|extend|trim|speed|slow|speak|narrate|get\s+rid|take\s+out|have|let|no|without|"
    r"keep|title|call|name|rename|reverse|flip|try|go|do|can|could|would)\b",
    re.I,
)


def edit_parts(text: str, plan: ShotPlan) -> list[str]:
    """The separate changes an instruction joins together, each as it was said (quoted words never split)."""
    masked = _QUOTED.sub(lambda match: "_" * len(match.group(0)), text)
    parts: list[str] = []
    start = 0
    for joint in _BREAK.finditer(masked):
        said, after = text[start : joint.start()], text[joint.end() :]
        if (
            joint.group("hard")
            or _STARTS_A_CHANGE.match(after)
            or (_starts_with_a_shot(after, plan) and _says_something_after_its_shots(said, plan))
        ):
            parts.append(said)
            start = joint.end()
    parts.append(text[start:])
    return [POLITE_LEAD.sub("", part).strip(" ,.;") for part in parts if part.strip(" ,.;")]


def _starts_with_a_shot(text: str, plan: ShotPlan) -> bool:
    refs = shot_refs(text, plan)
    return bool(refs) and re.sub(r"^(?:(?:in|on|for|to)\s+)?(?:the\s+)?", "", text[: refs[0][1][0]], flags=re.I) == ""


def _says_something_after_its_shots(text: str, plan: ShotPlan) -> bool:
    """ "make the first shot darker" does; "swap shot 2" (… "and shot 4") and "shot 2" (… "and shot 3 darker") do not."""
    refs = shot_refs(text, plan)
    return bool(refs) and bool(text[max(end for _, (_, end) in refs) :].strip(" ,"))


#: Words that say a part is about the whole video, not the shots the part before named.
_ALL_SHOTS = re.compile(
    r"\b(?:everything|every\s+(?:shot|scene|clip)|all\s+(?:of\s+)?(?:the\s+)?(?:shots|scenes|clips)|all of it|it all|whole|entire|the video|overall|throughout|each\s+(?:shot|scene|clip))\b",
    re.I,
)


def _continues(part: str) -> bool:
    """Whether a part without shots of its own changes the shots named just before ("… and make it darker")."""
    if _ALL_SHOTS.search(part):
        return False
    return bool(
        _grade_from(part)
        or _camera_from(part)
        or _length_words(part)
        or any(p.search(part) for p, _ in _MOTION)
        or _REROLL.search(part)
        or _NARRATION_OFF.search(part)
        or "ambience" in sound_requirements(part)[0]
        or NO_AMBIENCE.search(part)
    )


def _read_part(part: str, plan: ShotPlan, inherited: list[int]) -> Reading:
    """One change: its sound, its shots, and the facts it states."""
    refs = shot_refs(part, plan) or [(shot_id, (0, 0)) for shot_id in inherited]
    muted, spans = _narration_off(part, refs)
    text = _blank_spans(part, spans) if spans else part
    sound, facts, sound_spans = _sound_ops(text, plan, refs)
    if sound or facts:
        rest = _blank_spans(text, sound_spans)
        picture = read_picture_instruction(rest, plan, inherited) if _substance(rest) else Reading([], set())
    else:
        picture = read_picture_instruction(text, plan, inherited) if text else Reading([], set())
    ops = muted + sound + picture.ops
    named = picture.named | {shot_id for shot_id, _ in refs if muted}
    stated = _stated(text, plan, ops, named, facts) if text else Requirements()
    if each := _each_shot_length(text, plan, stated):
        ops, stated = each
    return Reading(ops, named, facts, stated, picture.unread)


#: "remove the narration from shot 2", "no voiceover on shot 1", "make shot 2 silent", "mute shot 3".
_NARRATION_OFF = re.compile(
    r"\b(?:no|without|remove|delete|drop|mute|cut(?:\s+out)?|kill|lose|skip|clear|get\s+rid\s+of|take\s+out|turn\s+off|(?:i\s+)?don'?t\s+want)\s+"
    r"(?:the\s+|any\s+|its\s+)?(?:narration|narrator|voice[- ]?overs?|vo|voice|speech|talking|words|line|commentary)\b"
    r"|\bsilent\b|\bmute\b|\bno\s*(?:one|body)\s+(?:talks|talking|speaks|speaking)\b|\bnarration\s+off\b",
    re.I,
)
_SOUND_BED = re.compile(r"\b(?:music|soundtrack|song|ambien\w*|sound\s+effects?|sfx|noises?|sounds?)\b", re.I)


def _narration_off(part: str, refs: ShotRefs) -> tuple[list[Operation], list[tuple[int, int]]]:
    """A narration taken out of the shots a part names, and where it said so: their lines only, not the video's."""
    match = _NARRATION_OFF.search(part)
    if not refs or match is None or _SOUND_BED.search(part):
        return [], []
    ids = list(dict.fromkeys(shot_id for shot_id, _ in refs))
    return [SetShot(shot=shot_id, narration="") for shot_id in ids], [match.span()]


def _stated(text: str, plan: ShotPlan, ops: list[Operation], named: set[int], facts: dict[str, object]) -> Requirements:
    """The facts a part states, as the next version's requirements: a total said as a change is added to the
    total there is ("add 5 seconds"); a total or a count said about shots is theirs, not the video's."""
    stated = extract_requirements(text, with_subject=False).model_copy(update={"style": None, **facts})
    if named and not re.search(r"\b(?:total|whole|overall|entire|altogether|all together|the video|in all)\b", text, re.I):
        stated = stated.model_copy(update={"total_duration_s": None, "shot_duration_s": None})
    elif (change := seconds_change(text, longer=bool(_LONGER.search(text)), shorter=bool(_SHORTER.search(text)))) is not None:
        stated = stated.model_copy(update={"total_duration_s": round(plan.total_duration_s + change, 1)})
    if ops or named:
        return stated.model_copy(update={"shot_count": None})
    if stated.shot_count is not None:
        raise BadRequest(_count_change(stated.shot_count, len(plan.shots)))
    return stated


def _count_change(wanted: int, count: int) -> str:
    if wanted == count:
        return f"This video already has {count} shots."
    if wanted > count:
        return f'This video has {count} shots: to add one, say what it shows, e.g. "add a shot of the sunset after shot {count}".'
    return f'This video has {count} shots: say which to remove, e.g. "remove shot {count}".'


def _each_shot_length(text: str, plan: ShotPlan, stated: Requirements) -> tuple[list[Operation], Requirements] | None:
    """ "each shot 4 seconds": every shot that long, and the video as long as they are together."""
    seconds = each_shot_seconds(text)
    if seconds is None:
        return None
    ops: list[Operation] = [SetShot(shot=shot.id, duration_s=seconds) for shot in plan.shots]
    total = round(min(MAX_SHOT_S, max(MIN_SHOT_S, seconds)) * len(plan.shots), 1)
    return ops, stated.model_copy(update={"total_duration_s": total, "shot_duration_s": seconds})


_STOP_TALKING = re.compile(
    r"\b(?:stop|no\s+more|without|don'?t|do\s+not|no|never|shouldn'?t|should\s+not|not)\s+(?:\w+\s+){0,3}?"
    r"(?:talk|talking|speak|speaking|lip[- ]?sync\w*|moving\s+(?:her|his|their)\s+(?:lips|mouth))\b(?!\s+(?:so|too|as|that|this)\b)"
    r"|\bjust\s+(?:a\s+)?(?:narration|voice[- ]?over)\b|\bsay\s+nothing\b",
    re.I,
)
#: "make shot 2 talk": a shot asked to speak (with "say" it is the shot's narration line, as before talking portraits).
_SHOT_SPEAKS = re.compile(rf"\b(?:make|have|let)\s+(?:the\s+)?(?:\w+\s+)?{SHOT_NOUN}\s*#?\s*\w*\s+(?:talk|speak|lip[- ]?sync)\w*\b", re.I)
_CLAUSE_BREAK = re.compile(r"[;.!?](?=\s|$)|,|\b(?:and|then|but|also|plus)\b", re.I)
#: "make her say it slower": "it" is the line she has, and the rest is about how it sounds.
_SAME_WORDS = re.compile(
    r"^(?:it|that|this|them|the\s+(?:line|lines|words|same))"
    r"(?:\s+(?:again|slower|faster|louder|quieter|softer|twice|better|more|less|with|in|like|differently|properly|clearly|slowly|quickly|loudly)\b.*)?$",
    re.I | re.S,
)
_UNQUOTED = re.compile(r"\b(?:say|says|saying)\s+(?P<words>.+)$", re.I | re.S)
#: Where unquoted words end: a sentence's end, or another change joined on ("…, and make shot 2 darker").
_UNQUOTED_END = re.compile(
    r"[;.!?](?=\s|$)|,?\s+(?:and\s+)?(?:then\s+)?(?=(?:make|change|add|remove|use|set|turn|put|give|swap|move|cut|drop)\b)", re.I
)
_WORDS_FOR_SHOT = re.compile(rf"\s*(?:in|for|on)\s+(?:the\s+)?(?:\w+\s+)?{SHOT_NOUN}\s*#?\s*\w*\s*$", re.I)


def talking_split(instruction: str, plan: ShotPlan) -> tuple[Reading, str] | None:
    """The part of an instruction that makes a face speak, or stop, read; and the rest of the instruction, for
    the other rules ("make shot 1 darker and have her say 'hi'"). The words come from the person's own message,
    untouched by typo correction, and are not read as settings ("make her say we have no music today").
    The shots are those the clause names, else those talking already, else those with a photo."""
    raw = plain_text(instruction)
    stop = _STOP_TALKING.search(raw)
    ask = stop or asking_to_speak(raw) or _SHOT_SPEAKS.search(raw)
    if ask is None:
        return None
    left, right = _clause_around(raw, ask.start(), ask.end())
    said: str | None = None
    if stop is None:
        if (found := verbatim(raw, ask.start())) is not None:
            said, right = found.words, (len(raw) if found.to_the_end else _clause_around(raw, found.end, found.end)[1])
        elif (unquoted := _UNQUOTED.search(raw, ask.start())) is not None:
            end = _UNQUOTED_END.search(raw, unquoted.start("words"))
            right = end.start() if end else len(raw)
            said = _WORDS_FOR_SHOT.sub("", raw[unquoted.start("words") : right]).strip(" .") or None
    clause, rest = raw[left:right], (raw[:left] + " " + raw[right:]).strip(" ,;")
    ids = list(dict.fromkeys(number for number, _ in shot_refs(normalise_instruction(clause), plan)))
    if stop is not None or (said or "").lower() in {"nothing", "nothing at all"}:
        shots = [plan.shot(i) for i in ids if i <= len(plan.shots)] or [shot for shot in plan.shots if shot.talking]
        return Reading([SetShot(shot=shot.id, talking=False) for shot in shots if shot.talking], {shot.id for shot in shots}), rest
    if said is not None and _SAME_WORDS.match(said):
        said = None
    if not any(shot.source_image for shot in plan.shots) and not re.search(r"\b(?:talk|speak|lip[- ]?sync)", clause, re.I):
        return None  # "make her say …" in a video without a photo is its narration, read by the other rules
    if not ids:
        ids = [shot.id for shot in plan.shots if shot.talking] or [shot.id for shot in plan.shots if shot.source_image]
    if not ids:
        raise BadRequest(
            "Only a shot with a photo can speak, and this video has none: start from a photo of the face (/animate, or --image)."
        )
    if said == "":
        raise BadRequest('What should the face say? Put the words after "say:" or in quotes: make her say: "Welcome back!"')
    if said is None:
        if all(i <= len(plan.shots) and plan.shot(i).talking for i in ids):
            return None  # already speaking: "make her tell the story slower" is about the voice, for the other rules
        return Reading([SetShot(shot=i, talking=True) for i in ids], set(ids)), rest
    lines = [line for line in lines_for(said, len(ids)) if line]
    if len(lines) > len(ids):
        raise BadRequest(
            f"Those words take more than {len(ids)} shot{'s' if len(ids) != 1 else ''} can say (about {MAX_WORDS_PER_SHOT} words a shot): "
            'give each shot its part ("shot 1 says: …"), or start a new video with them.'
        )
    return Reading([SetShot(shot=i, talking=True, narration=line) for i, line in zip(ids, lines, strict=False)], set(ids)), rest


def _clause_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause of ``text`` around ``start``..``end``: from the break before it to the break after it."""
    left = max((match.end() for match in _CLAUSE_BREAK.finditer(text, 0, start)), default=0)
    right = next((match.start() for match in _CLAUSE_BREAK.finditer(text, end)), len(text))
    return left, right


def _blank_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` without the spans, its spaces tidied."""
    return re.sub(r"\s+", " ", blank(text, spans)).strip(" ,.;")


def read_picture_instruction(text: str, plan: ShotPlan, inherited: list[int] | None = None) -> Reading:
    """What an instruction changes in the shots, their order and the look (in ``inherited`` shots, when it names none)."""
    count = len(plan.shots)
    refs = shot_refs(text, plan) or [(shot_id, (0, 0)) for shot_id in inherited or []]
    ids = list(dict.fromkeys(number for number, _ in refs))
    named = set(ids)

    if _REROLL.search(text) and not ids and not re.search(r"\b(?:narration|voice|music)\b", text, re.I):
        return Reading([Reroll(shot=None)], set(range(1, count + 1)))
    if _REVERSE.search(text):
        return Reading([MoveShot(shot=count, to=position) for position in range(1, count)], set(range(1, count + 1)))
    if _ADD.search(text) or _END_WITH.search(text):
        added = _add_ops(text, plan)
        if added:
            return Reading(added, set())
    if (
        ids
        and _REMOVE.search(text)
        and not (_SHORTER.search(text) or SECONDS.search(text) or re.search(r"\bcut\b[^,.;]*\bto\b", text, re.I))
    ):
        return Reading([RemoveShot(shot=i) for i in sorted(ids, reverse=True)], named)
    if len(ids) >= 2 and _SWAP.search(text):
        first, second = sorted(ids[:2])
        return Reading([MoveShot(shot=second, to=first), MoveShot(shot=first + 1, to=second)], named)
    if ids and (
        _MOVE.search(text)
        or re.search(r"\b(?:make|have)\b.*\b(?:the\s+)?(?:first|last|opening|closing|final)\s+(?:shot|scene|clip|one)\b", text, re.I)
        or re.search(r"\b(?:first|last)\s*$", text, re.I)
    ):
        destination = _destination(text[refs[0][1][1] :], ids[0], count, ids)
        if destination == ids[0] and _MOVE.search(text):
            raise BadRequest(f"Shot {ids[0]} is already there: it is shot {ids[0]} of {count}.")
        if destination is not None and destination != ids[0]:
            return Reading([MoveShot(shot=ids[0], to=destination)], named)

    if ids:
        return _read_shot_changes(text, plan, refs, ids)

    ops: list[Operation] = []
    grade = _grade_from(text)
    if grade and not re.search(r"\b(?:voice|narrat\w*|music|title)\b", text, re.I):
        ops.append(GradeShot.model_validate({"shot": None, **grade}))
    if (camera := _camera_from(text)) and _GLOBAL.search(text):
        ops += [SetShot(shot=shot.id, camera=camera) for shot in plan.shots if shot.camera != camera]
    for pattern, words in _MOTION:
        if pattern.search(text):
            ops += [SetShot(shot=shot.id, prompt=f"{shot.prompt}, {words}") for shot in plan.shots if words not in shot.prompt.lower()]
    if match := _TITLE.search(text):
        ops.append(SetStyle(title=match.group("t").strip()[:120]))
    elif silent_film(text):  # its sound (no narrator, a piano) is a stated fact; its look is the style
        ops.append(SetStyle(style=SILENT_FILM_STYLE))
    elif match := _STYLE.search(text):
        style = (match.group("s") or match.group("rest") or "").strip(" .")
        if style:
            ops.append(SetStyle(style=style[:120]))
    return Reading(ops, set(range(1, count + 1)) if ops else set())


def _read_shot_changes(text: str, plan: ShotPlan, refs: list[tuple[int, tuple[int, int]]], ids: list[int]) -> Reading:
    """What an instruction that names shots says about them: a narration line, or clauses of changes."""
    named = set(ids)
    if match := re.search(
        r"\breplace\s+(?:the\s+)?(?P<old>[\w' -]+?)(?:\s+(?:in|from|of)\s+(?:the\s+)?(?:[\w#]+\s+)?(?:shot|scene|clip)\s*#?\s*\w*)?\s+with\s+(?P<new>.+)$",
        text,
        re.I,
    ):
        old_words, new = match.group("old").strip(), _description(match.group("new"))
        prompt = plan.shot(ids[0]).prompt if ids[0] <= len(plan.shots) else ""
        if prompt and re.search(rf"\b{re.escape(old_words)}\b", prompt, re.I):
            article = r"(?:(?:a|an|the|some)\s+)?" if re.match(r"(?:a|an|the|some)\s", new, re.I) else ""  # "a boat" -> "a ferry"
            prompt = re.sub(rf"\b{article}{re.escape(old_words)}\b", new, prompt, count=1, flags=re.I)
            return Reading([SetShot(shot=ids[0], prompt=prompt)], named)
        return Reading([SetShot(shot=ids[0], prompt=new)], named)
    if (line := narration_line(text)) is not None:
        return Reading([SetShot(shot=i, narration=line) for i in ids], named)

    ops: list[Operation] = []
    unread: list[str] = []
    if _REROLL.search(text):
        ops += [Reroll(shot=i) for i in ids]
    describing = _asks_for_description(text, refs)
    for group_ids, said in _groups(text, refs):
        changes, not_read = _changes_to(group_ids, said, plan, rerolled=bool(ops), describing=describing)
        ops += changes
        unread += not_read
    return Reading(_merge_prompt_changes(ops), named, unread=(text,) if unread else ())


#: Ways of asking for what a shot shows: "make shot 2 a …", "change shot 3 to …", "shot 1 should be …",
#: "put a surfer in the last shot", "shot 2 but with seagulls", "shot 3 at night".
_ASKS_TO_DESCRIBE = re.compile(
    r"^(?:(?:can|could|would|will)\s+(?:you|u)\s+)?(?:please\s+)?(?:" + _PROMPT_VERBS + r"|put|add|include|give|place|stick|throw)\b"
    r"|\b(?:should|must|needs?\s+to|has\s+to|could|can|will|would)\s+(?:be|show|become|feature|depict|display|have|include|look|feel|get)\b",
    re.I,
)
_DESCRIBED_AFTER = re.compile(
    r"^\s*(?:[:=]|->|→|but\b|(?:at|during|under|with|without|near|inside|outside|while|in\s+the|on\s+a|on\s+the)\b)", re.I
)


def _asks_for_description(text: str, refs: ShotRefs) -> bool:
    """Whether an instruction asks for what its shots show, so that its words may become their description;
    "duplicate shot 2", "shot 2 looks weird" and "slower camera in shot 1" do not."""
    return bool(_ASKS_TO_DESCRIBE.search(text) or any(_DESCRIBED_AFTER.match(text[end:]) for _, (_, end) in refs))


def _groups(text: str, refs: list[tuple[int, tuple[int, int]]]) -> list[tuple[list[int], str]]:
    """Which words go with which shots: "make shot 2 darker and shot 4 brighter" -> [([2], darker), ([4], brighter)].

    Words after a reference belong to it; a reference followed by nothing ("shot 2 and shot 3 darker")
    shares the next one's words; words before the first reference ("darker in shot 2") go to
    references that have none of their own.
    """
    spans: list[tuple[list[int], int, int]] = []
    for number, (start, end) in refs:
        if spans and spans[-1][1] == start:
            spans[-1][0].append(number)
        else:
            spans.append(([number], start, end))
    prefix = _strip_verbs(text[: spans[0][1]])
    groups: list[tuple[list[int], str]] = []
    waiting: list[int] = []
    for index, (numbers, _, end) in enumerate(spans):
        stop = spans[index + 1][1] if index + 1 < len(spans) else len(text)
        said = _strip_verbs(re.sub(r"\band\s*$", "", text[end:stop].strip(" ,.;:"), flags=re.I))
        waiting += numbers
        if _substance(said):
            groups.append((waiting, said))
            waiting = []
    if waiting:
        groups.append((waiting, ""))
    if _substance(prefix):  # "tilt up in shot 3 to follow the rocket"
        groups[0] = (groups[0][0], f"{prefix} {groups[0][1]}".strip())
    return [(numbers, said) for numbers, said in groups if said]


def _strip_verbs(text: str) -> str:
    text = re.sub(
        r"^\s*(?:(?:" + _PROMPT_VERBS + r"|(?:can|could|would|will|may)\s+(?:you|u|we|i)(?:\s+(?:get|have|see|make|do|please))?|"
        r"let'?s\s+(?:get|have|see|make)|i\s+(?:want|need|would like|'d like)|we\s+need|show\s+me|please|now|and|in|on|for|the|give|me)\b\s*)+",
        "",
        text.strip(" ,.;:"),
        flags=re.I,
    )
    return text.strip(" ,.;:")


def _substance(text: str) -> bool:
    return bool(text) and bool(
        _grade_from(text)
        or _camera_from(text)
        or _length_words(text)
        or any(p.search(text) for p, _ in _MOTION)
        or keywords(text) - _NOT_CONTENT
    )


def _changes_to(ids: list[int], said: str, plan: ShotPlan, *, rerolled: bool, describing: bool) -> tuple[list[Operation], list[str]]:
    """The operations one stretch of an instruction asks for, on the shots it belongs to, and the clauses of it
    that describe something when the instruction did not ask for a description (read by no rule)."""
    said = _REROLL.sub(" ", said)
    modifier_clauses: list[str] = []
    content_clauses: list[str] = []
    unread: list[str] = []
    for clause in _clauses(said):
        leftover = _strip_modifiers(clause)
        has_modifier = bool(
            _grade_from(clause) or _camera_from(clause) or _length_words(clause) or any(p.search(clause) for p, _ in _MOTION)
        )
        content_words = keywords(leftover) - _NOT_CONTENT
        rest = _after_modifiers(clause)
        describes = len(content_words) >= (2 if has_modifier else 1) and not (
            has_modifier and (_PURPOSE.match(rest) or _PREPOSITION.match(rest))
        )
        if describes and not rerolled and not _states_a_fact(clause):
            (content_clauses if describing else unread).append(clause)
        elif has_modifier:
            modifier_clauses.append(clause)
    ops: list[Operation] = []
    for shot_id in ids:
        for clause in modifier_clauses:
            ops += _modifier_ops(shot_id, clause, plan)
        if content_clauses:
            ops += _content_ops(shot_id, " and ".join(content_clauses), plan)
    return ops, unread


def _states_a_fact(clause: str) -> bool:
    """ "use a female voice", "9:16": a clause about the whole video, read as a stated fact, not as what a shot shows."""
    return bool(extract_requirements(clause, with_subject=False).model_dump(exclude_none=True))


def _after_modifiers(clause: str) -> str:
    """The clause with its modifier words cut out and its leading helpers dropped: "to follow the rocket"."""
    for pattern, _ in [*_GRADES, *_CAMERA_WORDS, *_MOTION]:
        clause = pattern.sub(" ", clause)
    clause = re.sub(
        r"^\s*(?:(?:can|could|should|will|would|the|camera|it|please|make|up|down|a bit|slightly)\b\s*)+", "", clause, flags=re.I
    )
    return re.sub(r"\s{2,}", " ", clause).strip()


_PREPOSITION = re.compile(r"^\s*(?:around|on|at|over|of|towards?|onto|into|across|through|along|from|the)\b", re.I)
_PURPOSE = re.compile(r"^\s*(?:to|so|so that|in order to)\s+(?!(?:a|an|the|some|show|be)\b)\w+", re.I)
_NOT_CONTENT = {
    "like",
    "give",
    "same",
    "prompt",
    "description",
    "tones",
    "hues",
    "grading",
    "grade",
    "mach",
    "die",
    "der",
    "das",
    "haz",
    "fais",
    "rendi",
    "più",
    "mais",
    "plus",
    "más",
    "dont",
    "don't",
    "how",
    "came",
    "out",
    "looks",
    "keep",
    "is",
    "way",
    "too",
    "colors",
    "colours",
    "color",
    "colour",
    "look",
    "tone",
    "lighting",
    "light",
    "feel",
    "vibe",
    "please",
    "bit",
    "little",
    "more",
    "less",
    "make",
    "scene",
    "shot",
    "clip",
    "one",
    "up",
    "down",
    "now",
    "also",
    "instead",
    "should",
    "would",
    "could",
    "can",
    "just",
    "lot",
    "much",
    "very",
    "slightly",
    "abit",
    "tad",
    "there",
    "here",
    "right",
    "pls",
    "plz",
    "thanks",
    "camera",
    "nice",
    "good",
    "great",
    "better",
    "perfect",
    "cool",
}


def _clauses(text: str) -> list[str]:
    """Separate requests in one instruction: "darker, zoom in + slow motion and warmer"."""
    parts = [p.strip() for p in re.split(r"\s*(?:[,;&]|\+(?!\s*\d)|\band then\b|\balso\b|\bplus\b)\s*", text) if p and p.strip()]
    clauses: list[str] = []
    for part in parts:
        pieces = re.split(r"\s+and\s+", part)
        merged: list[str] = []
        for piece in pieces:
            modifier = bool(_grade_from(piece) or _camera_from(piece) or _length_words(piece) or any(p.search(piece) for p, _ in _MOTION))
            if merged and not modifier and not (keywords(_strip_modifiers(merged[-1])) - _NOT_CONTENT) == set():
                merged[-1] += f" and {piece}"  # "a dog and a cat playing" stays one description
            else:
                merged.append(piece)
        clauses += merged
    return clauses


def _length_words(text: str) -> bool:
    return any(p.search(text) for p in (_LONGER, _SHORTER, _DOUBLE, _HALVE, SECONDS))


def _merge_prompt_changes(ops: list[Operation]) -> list[Operation]:
    """One prompt change per shot: a motion word added to a new description joins it."""
    merged: list[Operation] = []
    prompts: dict[int, int] = {}
    for op in ops:
        if isinstance(op, SetShot) and op.prompt is not None and op.shot in prompts:
            earlier = merged[prompts[op.shot]]
            assert isinstance(earlier, SetShot) and earlier.prompt is not None
            addition = op.prompt.rsplit(", ", 1)[-1]
            merged[prompts[op.shot]] = earlier.model_copy(update={"prompt": f"{earlier.prompt}, {addition}"})
            continue
        if isinstance(op, SetShot) and op.prompt is not None:
            prompts[op.shot] = len(merged)
        merged.append(op)
    return merged


def narration_line(text: str) -> str | None:
    """The words a shot's narrator should say, when the instruction gives them; else ``None``."""
    if not re.search(
        r"\b(?:say|says|saying|said|narrat\w*|voice ?over|vo|line|caption|read|reads|diga|sagen|dise|dica|dire)\b", text, re.I
    ):
        return None
    if quoted := re.search(r"[\"“«]([^\"”»]+)[\"”»]?|(?<!\w)'(.+?)(?:'(?!\w)|$)", text):
        return (quoted.group(1) or quoted.group(2)).strip() or None
    if after := re.search(r"\b(?:say|says|saying|should say|diga|sagen|dise|dica|dire)\b\s*[:\-]?\s*(.+)$", text, re.I):
        return after.group(1).strip(" .") or None
    if after := re.search(
        r"\b(?:narration|narrator|voice ?over|vo|line|caption|text)\b[^:=]*?(?:[:=]|\bto\b|\bshould be\b|\bis\b)\s*(.+)$", text, re.I
    ):
        line = after.group(1).strip(" .")
        if line and not re.fullmatch(r"(?:faster|slower|louder|quieter|off|on|female|male|deeper|higher)(?:\s+\w+)?", line, re.I):
            return line
    return None


# The model's side --------------------------------------------------------------------------------
EDIT_SYSTEM = (
    "You edit a video's shot list. Turn the user's instruction into the fewest operations that do exactly "
    "what it says and nothing else. Answer with JSON only."
)
_OPERATIONS = TypeAdapter(list[Operation])


def operations_schema(plan: ShotPlan) -> dict[str, Any]:
    """Every operation the code can apply, from the operation models themselves, with real shot ids."""
    schema = _OPERATIONS.json_schema()
    ids = [shot.id for shot in plan.shots]

    def constrain(node: Any) -> None:
        if isinstance(node, dict):
            properties = node.get("properties", {})
            for key in ("shot", "to"):
                if key in properties:
                    properties[key] = {"enum": ids if key == "to" or "anyOf" not in properties[key] else [*ids, None]}
            if "after" in properties:
                properties["after"] = {"enum": [0, *ids]}
            node.pop("discriminator", None)
            node.pop("title", None)
            for value in node.values():
                constrain(value)
        elif isinstance(node, list):
            for value in node:
                constrain(value)

    constrain(schema)
    defs = schema.pop("$defs", {})
    return {"type": "object", "properties": {"ops": {**schema, "minItems": 1, "maxItems": 3}}, "required": ["ops"], "$defs": defs}


def parse_with_llm(llm: ChatModel, instruction: str, plan: ShotPlan) -> list[Operation]:
    """The model's operations, each kept only if it stays within what the instruction names."""
    listing = "\n".join(f"shot {shot.id}: {shot.prompt[:120]}" for shot in plan.shots)
    try:
        answer = llm.complete_json(EDIT_SYSTEM, f"Shots:\n{listing}\nInstruction: {instruction}", operations_schema(plan), max_tokens=160)
        proposed = _OPERATIONS.validate_python(answer.get("ops", []))
    except (InvalidModelOutput, ValidationError) as error:
        log.info("model edit unusable: %s", error)
        return []
    return [op for op in proposed if within_instruction(op, instruction, plan)]


def within_instruction(op: Operation, instruction: str, plan: ShotPlan) -> bool:
    """Whether an operation does only what the instruction asks: the shots it names, the kind it says."""
    text = normalise_instruction(instruction)
    named = {number for number, _ in shot_refs(text, plan)}
    target = getattr(op, "shot", None)
    if named and target is not None and target not in named:
        return False
    if isinstance(op, AddShot):
        return bool(_ADD.search(text) or _END_WITH.search(text))
    if isinstance(op, RemoveShot):
        return bool(_REMOVE.search(text)) and bool(named)
    if isinstance(op, MoveShot):
        return bool(_MOVE.search(text) or _SWAP.search(text) or _REVERSE.search(text))
    if isinstance(op, Reroll):
        return bool(_REROLL.search(text))
    if isinstance(op, SetStyle):
        return bool(_STYLE.search(text) or _TITLE.search(text))
    if isinstance(op, (GradeShot, ScaleDuration)):
        return target is not None or not named
    if isinstance(op, SetSound):
        return bool(
            re.search(
                r"\b(?:music|song|soundtrack|sounds?|noises?|ambien\w*|audio|volume|quiet\w*|loud\w*|rain|wind|waves?|birds?|crowd|traffic)\b",
                text,
                re.I,
            )
        )
    if isinstance(op, SetShot):
        if op.prompt is not None and not keywords(op.prompt) & keywords(text):
            return False  # a new description must come from the person's words
        return target in named if named else True
    return False


def edit_plan(
    plan: ShotPlan,
    instruction: str,
    requirements: Requirements,
    llm: ChatModel | None,
    *,
    max_total_s: float = 120.0,
    rng: random.Random | None = None,
) -> tuple[ShotPlan, Requirements, PlannerInfo]:
    """A new plan from ``plan`` and an instruction, with the conversation's stated facts enforced."""
    rng = rng or random.Random()
    talking = talking_split(instruction, plan)
    if talking is not None:  # the words a face says are read by no other rule
        instruction = talking[1]
    normalised = without_kept(normalise_instruction(instruction))
    if talking is not None and not _substance(normalised):
        reading = talking[0]
    else:
        if not _substance(normalised) and normalised != normalise_instruction(instruction):
            raise BadRequest("Glad it works: nothing to change, then. Say what to change whenever you want another version.")
        reading = read_instruction(instruction, plan)
        if talking is not None:
            reading = talking[0] + reading
    stated = reading.stated
    if reading.unread and (reading.ops or stated.model_dump(exclude_none=True)):
        raise BadRequest(_not_understood(reading.unread, changed_nothing=True))
    if stated.total_duration_s is not None:
        check_total(stated.total_duration_s, max_total_s)
    if stated.voice_gender and stated.voice_name is None and has_accent(requirements.voice_name):  # "male voice" keeps a British accent
        stated = stated.model_copy(update={"voice_name": same_accent(requirements.voice_name or "", stated.voice_gender)})
    requirements = requirements.merged_with(stated)
    ops, info = reading.ops, PlannerInfo(engine="rules")
    nothing_stated = stated.model_dump(exclude_none=True) == {}
    if not ops and nothing_stated and llm is not None:
        try:
            ops = parse_with_llm(llm, instruction, plan)
            info = PlannerInfo(engine=llm.engine, model=llm.model)
        except LLMUnavailable as error:
            info = PlannerInfo(engine="rules", fallback=True, note=str(error), fix=getattr(error, "fix", None))
    if not ops and nothing_stated:
        raise BadRequest(_not_understood(reading.unread))
    applied = apply_operations(plan, ops, rng)
    for said in (*applied.notes, *voice_notes(instruction)):
        info = _with_note(info, said)
    # Without a stated total the video simply gets longer or shorter; with one, other shots absorb it.
    new_plan = refreshed_lines(plan, enforce(applied.plan, requirements, keep_shot=applied.resized), requirements)
    if applied.resized and (asked := applied.plan.shot(applied.resized).duration_s) != (got := new_plan.shot(applied.resized).duration_s):
        info = _with_note(
            info,
            f"The video stays {new_plan.total_duration_s:g} s long, as you said, so shot {applied.resized} is {got:g} s, not {asked:g} s.",
        )
    check_total(new_plan.total_duration_s, max_total_s)
    if len(new_plan.shots) > MAX_SHOTS:
        raise BadRequest(f"At most {MAX_SHOTS} shots per video; this edit would make {len(new_plan.shots)}.")
    timed = [
        shot.id
        for shot in new_plan.shots
        if shot.talking and shot.id <= len(plan.shots) and plan.shot(shot.id).duration_s != shot.duration_s
    ]
    if timed:
        said = "A talking shot lasts as long as its words take to say: change its words (or stop the lip sync) to change its length."
        info = _with_note(info, said)
    if not new_plan.narration and plan.narration and any(shot.talking for shot in new_plan.shots):
        said = 'The faces still say their lines (without captions); "stop the lip sync" makes them narration, which this turns off.'
        info = _with_note(info, said)
    if new_plan.narration and new_plan.language != plan.language:
        new_plan, every = relanguaged_lines(plan, new_plan, requirements)
        for said in _language_notes(new_plan, requirements, every=every):
            info = _with_note(info, said)
    return new_plan, requirements, info


def _language_notes(plan: ShotPlan, requirements: Requirements, *, every: bool) -> list[str]:
    """What to say when the narration's language changed: which lines are in it, and which words are said as typed."""
    language = language_name(plan.language)
    others = "" if every else ', the others as they were (I do not translate them; give a shot its new line with "shot 1 says: …")'
    if plan.language not in TEMPLATE_LANGUAGES:
        return [f"The narration is now to be spoken in {language}, but I write no lines in it: mine are in English{others}."]
    notes = [f"The narration is now to be spoken in {language}: the lines I wrote are in {language}{others}."] if others else []
    subjects = list(requirements.shots or ()) or [requirements.subject or ""]
    if typed := template_language_note(plan.language, [s for s in subjects if s], talking=False):
        notes.append(typed)
    return notes


def _with_note(info: PlannerInfo, said: str) -> PlannerInfo:
    return info.model_copy(update={"note": f"{info.note} {said}" if info.note else said})


def _not_understood(parts: tuple[str, ...], *, changed_nothing: bool = False) -> str:
    """What to say when (part of) an instruction could not be read: which words, and examples that can."""
    said = " and ".join(f'"{part[:80]}"' for part in parts)
    lead = f"I couldn't tell what to change in {said}" if said else "I couldn't tell what to change"
    if changed_nothing:
        lead += ", so I changed nothing (the rest I could do once that part is clear)"
    return (
        f'{lead}. Try e.g. "make shot 2 darker", "make it 9:16", "change shot 3 to a close-up of the fox", '
        '"no narration" or "make the second shot longer".'
    )

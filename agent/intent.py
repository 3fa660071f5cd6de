"""What a message asks for when its place does not say: a new video, a change to one, or neither.

Every chat surface asks this where a message is not tied to a project by where it was said (Discord: a
project's thread, a reply to the bot; the terminal: nothing). A request for a video starts a project,
words that change a video ("make it darker", "shot 2 slower", "no narration", "undo") change the
person's latest one, and a greeting or thanks gets a short answer instead of a render.
"""

from __future__ import annotations

import re
from typing import Literal

#: "new": a video of its own; "edit": a change to the latest video; "chat": neither (a greeting, thanks, a question).
Intent = Literal["new", "edit", "chat"]

#: Words of greetings, thanks and questions about the bot: a message made only of these asks for no video.
SMALL_TALK = frozenset(
    """
    hi hey heya hiya hello hallo helo yo sup wassup whats hows howdy greetings gm gn morning afternoon evening night good
    thanks thank thx ty tysm cheers ok okay k kk cool nice great awesome amazing perfect lol lmao haha wow
    bye goodbye cya see later you u there bot reelwright all everyone guys folks friend buddy mate
    help what who how can do are is it going doing up work works use commands
    please pls plz yes yeah yep no nope nah sure much so very a lot test testing ping
    """.split()
)

_LEAD_IN = r"^\W*(?:(?:now|ok(?:ay)?|also|and|but|so|then|please|pls|hmm+|hey|can\s+you|could\s+you|would\s+you|let'?s|just|maybe)\W+)*"
_TARGET = (
    r"(?:it|this|that|them|everything|all|the\s+(?:video|clip|whole\s+thing|thing|colou?rs?|music|narration|voice|ending|end|"
    r"start|beginning|intro|outro|title|captions?|sound|ambience)\b|(?:the\s+)?(?:\w+\s+){0,2}?(?:shot|scene|clip)s?\b)"
)
#: How changes to a video begin, after "now", "ok", "please"…
_CHANGE = re.compile(
    _LEAD_IN
    + r"(?:"
    + rf"(?:make|turn|change|set|switch|put|cut|trim|crop|speed\s+up|slow\s+down|tone\s+down|brighten|darken|warm\s+up|cool\s+down)\s+{_TARGET}"
    + r"|(?:make|turn|change|give)\s+(?:the|her|his|their|its)\s+"
    + r"|(?:re-?roll|redo|re-?do|regenerate|re-?render|try\s+(?:it\s+|that\s+)?again|again|another\s+(?:take|version|try|go)|undo)\b"
    + r"|(?:add|insert|append|remove|delete|drop|swap|move|replace|reverse|shorten|lengthen|extend)\s+(?:a\s+|an\s+|another\s+|the\s+|one\s+more\s+)?"
    + r"(?:[\w-]+\s+){0,2}?(?:shots?|scenes?|clips?|narration|music|voice(?:over)?|captions?|title|ending|intro|order|it|them)\b"
    + r"|(?:no|without|with|less|more|turn\s+(?:on|off))\s+(?:the\s+)?(?:narration|narrator|voice(?:over)?|music|captions?|sound|ambience)\b"
    + r"|(?:darker|brighter|warmer|cooler|colder|longer|shorter|slower|faster|louder|quieter|softer|bigger|smaller|more|less)\b"
    + r"|(?:9:16|16:9|1:1|4:5|vertical|square|landscape|portrait|widescreen)\W*$"
    + r")",
    re.I,
)
#: A shot of the video named ("shot 2", "the last scene", "3rd clip") or something it shows swapped ("… instead").
_NAMES_A_SHOT = re.compile(
    r"\b(?:shot|scene|clip)\s*#?\s*\d+\b|\b(?:first|second|third|fourth|fifth|sixth|last|final|opening|closing|middle|\d+(?:st|nd|rd|th))\s+"
    r"(?:shot|scene|clip)\b|\binstead\b",
    re.I,
)
#: How a request for a video of its own reads: "a video of …", "make me a …", "another one about …".
_NEW_VIDEO = re.compile(
    r"\b(?:video|clip|animation|film|movie|reel|short)\s+(?:of|about|showing|where|with|in\s+which|that\s+shows)\b"
    r"|\b(?:new|another|different|separate)\s+(?:video|clip|one|animation|film|movie|project)\b"
    r"|^\W*(?:a|an)\s+(?:[\w-]+\s+){0,3}?(?:video|clip|animation|film|movie)\b"
    r"|^\W*(?:make|create|generate|render|produce|do|show|give)\s+(?:me\s+|us\s+)?(?:a|an|one|some)\b(?!\s+(?:[\w-]+\s+)?(?:shot|scene|clip)s?\b)",
    re.I,
)


def read_intent(text: str, ongoing: bool = False) -> Intent:
    """What ``text`` asks for, by its words alone. ``ongoing``: said in a conversation about one video
    (the terminal chat), where anything but an explicit new video ("a video of …", "another one about …")
    is about that video; elsewhere anything that does not read as a change is a request of its own."""
    if small_talk(text):
        return "chat"
    if ongoing:
        return "new" if _NEW_VIDEO.search(text) else "edit"
    return "edit" if reads_as_edit(text) else "new"


def small_talk(text: str) -> bool:
    """Whether ``text`` is only a greeting, thanks or a question about the bot ("hi", "thanks!", "what can you do?")."""
    words = re.findall(r"[^\W\d_]+", text.lower().replace("'", ""))
    return (bool(words) and all(word in SMALL_TALK for word in words)) or text.strip() in {"?", "??", "👋", "🙏", "👍"}


def reads_as_edit(text: str) -> bool:
    """Whether ``text`` reads as a change to a video rather than a request for a new one."""
    if _NEW_VIDEO.search(text):
        return False
    return bool(_CHANGE.search(text) or _NAMES_A_SHOT.search(text))

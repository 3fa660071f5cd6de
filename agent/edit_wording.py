"""How people word an edit, brought to the wording the edit rules read.

Typos in command words are corrected ("mkae shot 3 darkr"), but never real words ("a swan", "shorts")
and never inside the description of a new shot ("replace shot 2 with a …"). Ways of saying a change
that the rules would misread are said plainly first: "too dark" and "not so dark" ask for brighter,
"music off" for no music, "can the narrator be a woman" for a female voice, "make it portrait" for
vertical. A frame shape the renderer cannot make (4:3, 21:9) is refused with the ones it can.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from reelwright.agent.wording import correct_typos, plain_text
from reelwright.errors import BadRequest

#: Words an instruction is made of; a near miss of one of these ("mkae", "darkr") is read as it.
VOCABULARY = (
    "make",
    "change",
    "turn",
    "replace",
    "switch",
    "swap",
    "move",
    "remove",
    "delete",
    "add",
    "insert",
    "append",
    "shot",
    "shots",
    "scene",
    "scenes",
    "clip",
    "clips",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "last",
    "final",
    "opening",
    "closing",
    "middle",
    "darker",
    "brighter",
    "warmer",
    "cooler",
    "colder",
    "longer",
    "shorter",
    "slower",
    "faster",
    "slow",
    "motion",
    "zoom",
    "tilt",
    "pan",
    "orbit",
    "static",
    "narration",
    "narrator",
    "voice",
    "voiceover",
    "music",
    "vertical",
    "horizontal",
    "square",
    "landscape",
    "portrait",
    "seconds",
    "second",
    "minutes",
    "minute",
    "regenerate",
    "reroll",
    "another",
    "instead",
    "should",
    "please",
    "black",
    "white",
    "contrast",
    "saturated",
    "colorful",
    "colourful",
    "vivid",
    "timelapse",
    "show",
    "showing",
    "start",
    "beginning",
    "end",
    "ending",
    "after",
    "before",
    "between",
    "position",
    "title",
    "style",
    "reverse",
)
_FILLER = re.compile(
    r"\b(?:pls|plz|please|thx|thanks|ty|por favor|bitte|s'il (?:te|vous) pla[iî]t|per favore|thank you|kthx|lol|ok(?:ay)?|hey|hi|yo)\b[!,.]*",
    re.I,
)
POLITE_LEAD = re.compile(
    r"^\s*(?:(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?|i\s+(?:want|need|would like|'d like)\s+(?:you\s+)?(?:to\s+)?|let'?s\s+|just\s+|now\s+|also\s+|and\s+|then\s+|maybe\s+)+",
    re.I,
)
#: Where the description of a new or replaced shot starts ("replace shot 2 with | a swan") and ends
#: (the next change joined on: "…, and make it darker").
_DESCRIPTION = re.compile(
    r"(?:\b(?:replace|swap\s+out|change|turn|set|switch|convert|transform|add|insert|append|include)\b[^;.]*?\b(?:with|to|into|of|showing|featuring|for)"
    r"|\b(?:should|must|needs?\s+to)\s+(?:be|show))\s+(?=(?:a|an|the|some|my|our|his|her|their|two|three|four|five|several|many)\s)"
    r"(?P<d>.+?)(?=$|[;.]|,?\s+(?:(?:and|then|also)\s+)+(?:make|change|add|remove|use|set|turn|put|give|swap|move|cut|drop|zoom|pan|tilt|no)\b)",
    re.I,
)
_OPPOSITE = {"darker": "brighter", "brighter": "darker", "warmer": "cooler", "cooler": "warmer", "longer": "shorter", "shorter": "longer"}
#: Adjectives of a look or a length, and the change that makes more of them.
_MORE_OF = {
    **dict.fromkeys(("dark", "dim", "gloomy", "murky", "shadowy"), "darker"),
    **dict.fromkeys(("bright", "light", "washed out", "overexposed"), "brighter"),
    **dict.fromkeys(("warm", "orange", "yellow", "hot"), "warmer"),
    **dict.fromkeys(("cold", "cool", "blue"), "cooler"),
    **dict.fromkeys(("long",), "longer"),
    **dict.fromkeys(("short",), "shorter"),
}
_ADJECTIVE = "|".join(sorted(_MORE_OF, key=len, reverse=True))
_DEGREE = r"(?:(?:is|are|looks?|feels?|seems?|it'?s|its|way|a\s+bit|a\s+little|much|far|kind\s+of|kinda|still|just)\s+)*"
#: "too dark", "not so dark", "less dark": the opposite change (True); "not dark enough": more of it.
_COMPARISONS: list[tuple[re.Pattern[str], bool]] = [
    (re.compile(rf"\b{_DEGREE}too\s+(?P<a>{_ADJECTIVE})\b", re.I), True),
    (re.compile(rf"\b{_DEGREE}not\s+(?:so|as|that|this|too)\s+(?P<a>{_ADJECTIVE})\b", re.I), True),
    (re.compile(rf"\bless\s+(?P<a>{_ADJECTIVE})\b", re.I), True),
    (re.compile(rf"\b{_DEGREE}not\s+(?P<a>{_ADJECTIVE})\s+enough\b", re.I), False),
]
_SOUND_NOUN = r"(?:music|soundtrack|narration|narrator|voice[- ]?over|voice|ambience|sound\s+effects|sound|audio)"
_FEMALE_WORDS = {"woman", "female", "girl", "lady"}


def _voice(match: re.Match[str]) -> str:
    who = (match.group("who") or match.group("who2") or match.group("who3")).lower()
    return "female voice" if who in _FEMALE_WORDS else "male voice"


_PLAINLY: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # "music off", "turn the narration off", "switch the sound off"
    (re.compile(rf"\b(?:(?:turn|switch|shut|put)\s+(?:the\s+)?)?(?P<what>{_SOUND_NOUN})\s+off\b", re.I), r"no \g<what>"),
    # "bring back the music", "turn the narration back on"
    (
        re.compile(
            r"\b(?:bring|put|turn|switch|get)\s+(?:back|on)\s+(?:the\s+)?(?P<what>music|narration|narrator|voice[- ]?over)\b"
            r"|\b(?:bring|put|turn|switch|get)\s+(?:the\s+)?(?P<what2>music|narration|narrator|voice[- ]?over)\s+(?:back(?:\s+on)?|on)\b",
            re.I,
        ),
        lambda match: f"add {match.group('what') or match.group('what2')}",
    ),
    # "the narration slower", "make the narrator faster"
    (
        re.compile(
            r"\b(?:the\s+)?(?P<who>narration|narrator|voice[- ]?over|voice)\s+(?:(?:a\s+)?(?:bit|little|lot)\s+)?(?P<pace>slower|faster)\b",
            re.I,
        ),
        r"\g<pace> \g<who>",
    ),
    # "can the narrator be a woman", "the voice should be a man", "make the narrator female"
    (
        re.compile(
            r"\b(?:(?:can|could|would|will)\s+)?(?:the\s+)?(?:narrator|narration|voice[- ]?over|voice|speaker|reader)\s+(?:(?:should|could|must|can|will|would)\s+)?(?:be|is|to\s+be|as|sound\s+like)\s+(?:a\s+|an\s+)?(?P<who>woman|female|girl|lady|man|male|guy|boy)\b"
            r"|\b(?:make|have|get|turn|set|change|switch)\s+(?:the\s+)?(?:narrator|narration|voice[- ]?over|voice|speaker)\s+(?:to\s+|into\s+)?(?:a\s+|an\s+)?(?P<who2>woman|female|girl|lady|man|male|guy|boy)\b"
            r"|\b(?:an?\s+)?(?P<who3>woman|female|girl|lady|man|male|guy|boy)\s+(?:should\s+)?(?:narrat\w*|reading|speaking|doing\s+the\s+(?:voice|narration))\b",
            re.I,
        ),
        _voice,
    ),
    # "make it portrait", "portrait please", "switch to portrait" (but "a portrait of the cat" is a picture)
    (
        re.compile(
            r"\b(?:(?:make|turn|switch|change|set|put|render|do)\s+(?:it|this|the\s+video|everything)\s+(?:to\s+|into\s+|in\s+)?(?:a\s+)?|(?:switch|change|go)\s+to\s+)portrait\b(?!\s+of)"
            r"|^\s*portrait\b(?!\s+of)",
            re.I,
        ),
        "make it vertical",
    ),
]
#: Frame shapes people ask for that are not 16:9, 9:16 or 1:1.
_OTHER_ASPECT = re.compile(
    r"(?<![\w.:/])(?<!shot )(?<!shots )(?P<r>21\s*[:x/]\s*9|9\s*[:x/]\s*21|4\s*[:x/]\s*3|3\s*[:x/]\s*4|4\s*[:x/]\s*5|5\s*[:x/]\s*4|3\s*[:x/]\s*2|2\s*[:x/]\s*3|2\s*[:x/]\s*1|(?:1\.85|2\.35|2\.39|2\.4)\s*[:x/]\s*1)(?![\w.:/])"
    r"|\b(?P<n>cinemascope|anamorphic|ultra[- ]?wide|academy\s+ratio)\b",
    re.I,
)


def normalise_instruction(instruction: str) -> str:
    """The instruction as the rules read it: emoji as words, typos of command words corrected, said plainly."""
    text = plain_text(instruction)
    text = re.sub(r"\b(?:b\s*&\s*w|b\s*/\s*w|black\s*(?:and|&|n|'n')\s*white)\b", "monochrome", text, flags=re.I)
    text = said_plainly(correct_typos_outside_descriptions(text))
    text = _FILLER.sub(" ", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" .!?")
    return POLITE_LEAD.sub("", text)


def correct_typos_outside_descriptions(text: str) -> str:
    """``text`` with typos of command words corrected, except in what a new or replaced shot should show."""
    corrected = correct_typos(text, VOCABULARY)
    described = [match.span("d") for match in _DESCRIPTION.finditer(corrected)]
    if not described:
        return corrected
    # A word is only ever replaced by one word, so the n-th word of both texts is the same word.
    out: list[str] = []
    at = 0
    for word, fixed in zip(re.split(r"(\s+)", text), re.split(r"(\s+)", corrected), strict=True):
        out.append(word if any(start <= at < end for start, end in described) else fixed)
        at += len(fixed)
    return "".join(out)


def said_plainly(text: str) -> str:
    """Comparisons and ways of asking that the rules would misread, in the words they read."""
    for pattern, opposite in _COMPARISONS:
        text = pattern.sub(_opposite if opposite else _more_of, text)
    for pattern, replacement in _PLAINLY:
        text = pattern.sub(replacement, text)
    return text


def _more_of(match: re.Match[str]) -> str:
    return _MORE_OF[re.sub(r"\s+", " ", match.group("a").lower())]


def _opposite(match: re.Match[str]) -> str:
    return _OPPOSITE[_more_of(match)]


def check_aspect(text: str) -> None:
    """Refuses a frame shape the renderer cannot make, naming the ones it can."""
    if match := _OTHER_ASPECT.search(text):
        asked = re.sub(r"\s+", "", match.group("r") or match.group("n"))
        raise BadRequest(
            f"{asked} is not a frame shape I can make: a video is 16:9 (landscape), 9:16 (vertical, for phones) or 1:1 (square). "
            'Say e.g. "make it 9:16".'
        )

"""How the narrator should sound, as people describe it: "a deep male voice", "a high-pitched voice",
"a British accent", "narrated by Morgan Freeman".

Pitch words set the voice's pitch; an accent picks a catalog voice that has it (or a note says none
does); a named person is never imitated: the name leaves the subject, the narrator is an ordinary voice
(of the person's gender when their first name says it) and a note says why. Agent code does not read
the voice catalog (``generation/voices.py``), so the voices with an accent are named here;
``tests/agent/test_voice_requests.py`` checks that each is in the catalog with that gender.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from reelwright.agent import moderation_terms as terms
from reelwright.plan import Gender

#: Semitones for "a deep voice" / "a high-pitched voice": clearly lower or higher, still natural.
PITCH_STEP = 2.0
_VOICE_NOUN = r"(?:voice|narrator|narration|voice[- ]?over|tone|speaker)"
_LOWER = re.compile(
    rf"\b(?:deep(?:er)?|low(?:er)?(?:[- ]pitched)?|bass|baritone|gravelly|gruff|husky|booming)\s+(?:[\w-]+\s+)?{_VOICE_NOUN}\b"
    r"|\b(?:lower|deepen)\s+(?:the\s+)?(?:voice|pitch)\b|\bvoice\s+(?:lower|deeper)\b",
    re.I,
)
_HIGHER = re.compile(
    rf"\b(?:high(?:er)?(?:[- ]pitched)?|squeaky|chipmunk|shrill|soprano)\s+(?:[\w-]+\s+)?{_VOICE_NOUN}\b"
    r"|\b(?:raise|higher)\s+(?:the\s+)?(?:voice|pitch)\b|\bvoice\s+higher\b|\bhigh[- ]pitched\b",
    re.I,
)

#: Accents people ask for, by the words they use, and the catalog voices that speak with them (by gender).
_ACCENT_WORDS: dict[str, str] = {
    "british": "British",
    "english": "British",
    "uk": "British",
    "posh": "British",
    "london": "British",
    "american": "American",
    "us": "American",
    "usa": "American",
    "australian": "Australian",
    "aussie": "Australian",
    "irish": "Irish",
    "scottish": "Scottish",
    "welsh": "Welsh",
    "indian": "Indian",
    "southern": "Southern US",
    "texan": "Southern US",
    "canadian": "Canadian",
    "french": "French",
    "german": "German",
    "spanish": "Spanish",
    "italian": "Italian",
    "russian": "Russian",
    "jamaican": "Jamaican",
    "nigerian": "Nigerian",
    "south african": "South African",
    "new zealand": "New Zealand",
    "kiwi": "New Zealand",
}
ACCENT_VOICES: dict[str, dict[Gender, str]] = {
    "British": {"female": "vctk-p225", "male": "vctk-p226"},
    "American": {"female": "en_US-ljspeech-high", "male": "joe"},
}
#: Accent words that are also languages ("a French voice" is more often French than an accent): an accent only
#: when the word "accent" follows.
_LANGUAGE_ACCENTS = frozenset({"english", "french", "german", "spanish", "italian", "russian"})


def _accent_words(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(word) for word in words), key=len, reverse=True))


_ACCENT = re.compile(
    r"\b(?:(?:with|in|using|and)\s+)?(?:an?\s+|the\s+)?(?:(?:thick|strong|slight|light|heavy|soft|neutral)\s+)?"
    rf"(?:(?P<accent>{_accent_words(_ACCENT_WORDS)})(?:\s+english)?\s+accent(?:ed)?"
    rf"|(?P<voiced>{_accent_words(set(_ACCENT_WORDS) - _LANGUAGE_ACCENTS)})\s+(?:(?:fe)?male\s+|man'?s?\s+|woman'?s?\s+)?"
    r"(?:voice|narrator|voice[- ]?over|speaker))\b",
    re.I,
)

#: "narrated by Morgan Freeman", "in the voice of David Attenborough", "with Oprah's voice", "sounding like Obama".
_NAMED_NARRATOR = re.compile(
    r"\b(?:(?:narrated|voiced|read|told|spoken|presented|hosted)\s+by|(?:narration|voice[- ]?over|voiced)\s+(?:by|from)"
    r"|in\s+the\s+(?:voice|style)\s+of|with\s+the\s+voice\s+of|(?:sounding|sounds?|talking|speaking|narrating)\s+like|"
    r"(?:voice|narration|narrator)\s+(?:like|of))\s+(?P<who>(?!(?:an?|the|some|my|our|your|me|myself|us)\b)"
    r"[^\W\d_][\w.'-]*(?:\s+(?!(?:and|with|in|on|at|for|about|over|under|while|but|or|to|from|please|pls|plz|thanks|instead|now|too|again)\b)[^\W\d_][\w.'-]*){0,2})"
    r"(?:'s)?(?:\s+voice)?"
    # "with Oprah's voice", "in Morgan Freeman's voice"
    r"|\b(?:with|in|using)\s+(?P<owner>(?!(?:an?|the|my|our|your|his|her|their)\b)[^\W\d_][\w.-]*(?:\s+[^\W\d_][\w.-]*){0,2})['’]s\s+voice\b",
    re.I,
)
#: "narrated by my grandma", "read by a pirate": who, in the words of a role, with the gender it says.
_NARRATOR_ROLE = re.compile(
    r"\b(?:narrated|voiced|read|told|spoken)\s+by\s+(?P<whose>my|our|your|an?|the|some)\s+(?P<role>(?:[\w-]+\s+){0,2}?[\w-]+)"
    r"(?=\s*(?:$|[,.;!?)]|\b(?:and|with|in|on|at|for|about|while)\b))",
    re.I,
)
_FEMALE_WORDS = frozenset(
    """woman women lady girl female grandma grandmother granny nana mom mum mother mama aunt auntie sister daughter wife
    girlfriend queen princess witch actress mrs ms miss madam dame""".split()
)
_MALE_WORDS = frozenset(
    """man men guy boy male grandpa grandfather granddad dad father papa uncle brother son husband boyfriend king prince
    wizard actor mr sir lord""".split()
)
#: First names that say a gender clearly, for "narrated by <a person>" (a voice of that gender, never theirs).
_FEMALE_NAMES = frozenset(
    """mary patricia jennifer linda elizabeth barbara susan jessica sarah karen nancy lisa betty margaret sandra ashley
    emily donna michelle carol amanda melissa deborah stephanie rebecca laura helen sharon cynthia kathleen amy shirley
    anna emma olivia sophia isabella charlotte amelia mia harper evelyn abigail ella grace chloe victoria oprah meryl
    judi scarlett beyonce rihanna adele angelina julia nicole kate cate jane emma hillary michelle greta marilyn audrey
    whitney madonna celine dolly""".split()
)
_MALE_NAMES = frozenset(
    """james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony mark donald
    steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary nicholas eric
    jonathan stephen larry justin scott brandon benjamin samuel gregory frank alexander raymond patrick jack dennis jerry
    tyler aaron henry peter adam nathan zachary walter harold kyle carl arthur gerald roger keith jeremy terry lawrence
    sean christian albert joe ethan austin jesse willie billy bryan bruce jordan ralph roy noah dylan eugene wayne alan
    juan louis russell gabriel randy philip harry vincent bobby johnny logan barack elon bill tom keanu brad leonardo
    werner gilbert neil snoop arnold sylvester clint denzel""".split()
)


@dataclass(frozen=True)
class VoiceAsk:
    """What a message says about how the narrator sounds, and where it says so (cut from the subject)."""

    pitch_semitones: float | None = None
    gender: Gender | None = None
    #: The accent asked for ("British"), whether or not a catalog voice has it: see :func:`accent_voice`.
    accent: str | None = None
    spans: tuple[tuple[int, int], ...] = ()

    def voice_for(self, gender: Gender | None) -> str | None:
        """The catalog voice with the accent asked for, of ``gender`` (the one stated, if any) when there is one."""
        return accent_voice(self.accent, gender or self.gender) if self.accent else None


def voice_ask(text: str) -> VoiceAsk:
    """The pitch, gender and voice ``text`` asks the narrator to have, from descriptions of the voice."""
    spans: list[tuple[int, int]] = []
    pitch: float | None = None
    if matches := list(_LOWER.finditer(text)):
        pitch = -PITCH_STEP
        spans += [m.span() for m in matches]
    elif matches := list(_HIGHER.finditer(text)):
        pitch = PITCH_STEP
        spans += [m.span() for m in matches]
    gender: Gender | None = None
    if person := named_narrator(text):
        gender = _gender_of_name(_who(person))
        spans.append(person.span())
    elif role := _NARRATOR_ROLE.search(text):
        gender = _gender_of_words(role.group("role"))
        spans.append(role.span())
    accent_name = None
    if accent := _ACCENT.search(text):
        spans.append(accent.span())
        accent_name = _accent_of(accent)
        gender = gender or _gender_of_words(accent.group(0))
    return VoiceAsk(pitch, gender, accent_name, tuple(spans))


def accent_voice(accent: str, gender: Gender | None) -> str | None:
    """The catalog voice that speaks with ``accent`` (of ``gender`` when said), if the catalog has one."""
    voices = ACCENT_VOICES.get(accent)
    if voices is None:
        return None
    return voices[gender] if gender else next(iter(voices.values()))


def has_accent(voice_name: str | None) -> bool:
    """Whether ``voice_name`` is a voice chosen for its accent."""
    return any(voice_name in voices.values() for voices in ACCENT_VOICES.values())


def same_accent(voice_name: str, gender: Gender) -> str:
    """``voice_name`` if it is of ``gender``, else the catalog voice of that gender with the same accent (or the name)."""
    for voices in ACCENT_VOICES.values():
        if voice_name in voices.values():
            return voices.get(gender, voice_name)
    return voice_name


def voice_notes(text: str) -> list[str]:
    """What to tell a person about the voice they described: a real person's voice is never imitated, and an
    accent no catalog voice has is not given."""
    notes = []
    if person := named_narrator(text):
        who = _who(person)
        gender = _gender_of_name(who)
        voice = f"an ordinary {gender} voice" if gender else "an ordinary voice"
        notes.append(
            f"Voices of real people are not imitated, so {who} does not narrate this: {voice} does "
            '(your own cloned voice can: "in my voice").'
        )
    elif (role := _NARRATOR_ROLE.search(text)) and role.group("whose").lower() in {"my", "our", "your"}:
        notes.append(
            f"Voices of real people are not imitated, so {role.group('whose')} {role.group('role')} does not narrate this; "
            'a cloned voice can, from a sample its owner records ("in my voice").'
        )
    if (accent := _ACCENT.search(text)) and (name := _accent_of(accent)) not in ACCENT_VOICES:
        notes.append(f"No voice with {_article(name)} {name} accent is in the voice catalog, so the narrator has its own accent.")
    return notes


def named_narrator(text: str) -> re.Match[str] | None:
    """Where ``text`` asks for a real person to narrate: a name after "narrated by" or "in the voice of" (capitalised,
    a known first name, a public figure, or two or three words that name no voice), or after "sounding like" (not
    "sounding like thunder")."""
    for match in _NAMED_NARRATOR.finditer(text):
        who = _who(match)
        words = who.lower().split()
        if set(words) & _NOT_A_NAME:
            continue
        known = who[:1].isupper() or words[0] in _FEMALE_NAMES or words[0] in _MALE_NAMES or who.lower() in _public_figures()
        if known or (match.group("who") and 2 <= len(words) <= 3 and not _LIKE.match(match.group(0))):
            return match
    return None


_LIKE = re.compile(r"\w+\s+like\b", re.I)


def _who(match: re.Match[str]) -> str:
    return (match.group("who") or match.group("owner") or "").strip()


def _accent_of(match: re.Match[str]) -> str:
    return _ACCENT_WORDS[(match.group("accent") or match.group("voiced")).lower()]


#: Words that describe a voice or a kind of narrator, never a person's name ("narrated by calm female voice").
_NOT_A_NAME = frozenset(
    """voice voices narrator narration female male woman man women men girl boy guy lady kid kids child children robot
    robots ai computer someone somebody anyone people person deep calm warm soft loud friendly british american accent
    thunder rain wind""".split()
)


@cache
def _public_figures() -> frozenset[str]:
    """Public figures' names as people type them (lower case), from the moderation terms."""
    groups = (terms.POLITICAL, terms.ROYALS, terms.BUSINESS, terms.MUSIC, terms.SCREEN, terms.MEDIA, terms.SPORT, terms.RELIGION)
    return frozenset(name.lower() for group in groups for name in group) | frozenset(alias.lower() for alias in terms.ALIASES)


def _gender_of_name(name: str) -> Gender | None:
    aliases = {alias.lower(): full for alias, full in terms.ALIASES.items()}
    first = re.split(r"[\s.]+", aliases.get(name.strip().lower(), name).strip().lower())[0]
    if first in _FEMALE_NAMES or first in _FEMALE_WORDS:
        return "female"
    if first in _MALE_NAMES or first in _MALE_WORDS:
        return "male"
    return None


def _gender_of_words(words: str) -> Gender | None:
    said = set(re.findall(r"[a-z]+", words.lower()))
    if said & _FEMALE_WORDS and not said & _MALE_WORDS:
        return "female"
    if said & _MALE_WORDS and not said & _FEMALE_WORDS:
        return "male"
    return None


def _article(word: str) -> str:
    return "an" if word[0].lower() in "aeiou" else "a"

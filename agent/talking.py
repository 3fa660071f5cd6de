"""Talking shots as people ask for them: whether a face should speak, and its exact words when they are given.

"make my avatar say: welcome to the channel", 'have the woman in this photo say "we open at nine"',
"a talking head of me explaining our refund policy". Words after "say:" or in quotes are spoken verbatim;
otherwise the planner writes the line. Only a shot with a photo can speak (its face is the one that
talks), so the planner and the edits decide which shots talk; this module only reads the words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reelwright.plan import MAX_NARRATION_CHARS

#: Who speaks, as people point at the face: "my avatar", "her", "the woman in this photo".
_PERSON_NOUN = (
    r"(?:woman|man|person|girl|boy|lady|guy|face|avatar|portrait|presenter|host|kid|child|character|mascot|model|"
    r"speaker|anchor|teacher|doctor|chef|photo|picture|image|pic|selfie|subject|grandma|grandpa|dad|mom|mum|friend|baby|dog|cat)"
)
_PHOTO = r"(?:photo|picture|image|pic|portrait|selfie|upload|attachment)"
_IN_PHOTO = rf"(?:\s+(?:in|from|on|of)\s+(?:the|this|that|my|our)\s+{_PHOTO})?"
#: A person named by a noun, or a pronoun that can only be a person.
_PERSON = rf"(?:her|him|my\s+(?:[\w-]+\s+){{0,2}}?{_PERSON_NOUN}|(?:the|this|that|these|our|your)\s+(?:[\w-]+\s+){{0,3}}?{_PERSON_NOUN}){_IN_PHOTO}"
#: "make it say", "let me talk": pronouns that are just as often the video or the person asking, so only with
#: the verbs of speech itself ("make it tell a story", "let me present my photos" are not about a face).
_PRONOUN = r"(?:me|them|it|us)"
_SPEECH_VERB = r"(?:say|speak|talk|lip[- ]?sync)"
_TALK_VERB = r"(?:say|speak|talk|tell|announce|introduce|greet|explain|recite|lip[- ]?sync)"
_ASK = r"(?:make|have|let|get)"
_ASKS_TO_SPEAK = re.compile(
    rf"\b{_ASK}\s+{_PERSON}\s+(?:to\s+)?{_TALK_VERB}\w*\b"
    rf"|\b{_ASK}\s+{_PRONOUN}\s+(?:to\s+)?{_SPEECH_VERB}\w*\b"
    rf"|\b(?:a|an|my|the)\s+talking[- ](?:head|portrait|photo|picture|avatar|face|selfie)\s+(?:of|video|clip|with|from|for|where|that|who)\b"
    rf"|\blip[- ]?sync\s+(?:it|this|that|her|him|them|my|the)\b"
    rf"|\b(?:where|in\s+which|and)\s+{_PERSON}\s+(?:says|talks|speaks|tells|explains|announces|introduces|greets)\b"
    r"|\bmy\s+(?:[\w-]+\s+)?(?:avatar|selfie|photo|picture|portrait|face|character|mascot)\s+(?:saying|talking|speaking|explaining|telling)\b"
    r"|\b(?:could|can|should|would|will)\s+(?:she|he)\s+(?:say|speak|talk)\b"
    rf"|\b(?:animate|bring)\s+{_PERSON}\s+(?:to\s+life\s+)?(?:so\s+(?:that\s+)?(?:she|he|they)\s+)?(?:says?|speaks?|talks?)\b",
    re.I,
)
#: Words said verbatim: after "say:" (to the end), or in double or single quotes (straight or curly).
_VERBATIM = re.compile(
    r"\b(?:say|says|saying|talk|speak|tell\s+(?:\w+\s+){0,2}?|announce|read(?:\s+out)?|recite)\s*[:：]\s*(?P<colon>.*)$"
    r"|[\"“”«„](?P<double>[^\"“”«»„]*)[\"“”»]"
    r"|(?<![\w'‘’])['‘](?P<single>(?:[^'‘’]|(?<=\w)['’](?=\w))*?)['’](?![\w'’])",
    re.I | re.S,
)
#: "tell viewers that the store opens at nine": reported speech, spoken as its sentence.
_REPORTED = re.compile(
    r"\btell\s+(?:the\s+)?(?:viewers|everyone|people|the\s+audience|audience|followers|customers|us|them|you)\s+that\s+(?P<said>.+)$",
    re.I | re.S,
)
#: Words a person speaks in one breath, more or less: a longer line is spread over several talking shots.
WORDS_PER_SECOND = 2.6
MAX_WORDS_PER_SHOT = 60


def asks_to_speak(text: str) -> bool:
    """Whether the message asks for a face to speak ("make my avatar say …", "a talking head")."""
    return asking_to_speak(text) is not None


def asking_to_speak(text: str) -> re.Match[str] | None:
    """Where the message asks for a face to speak, if it does."""
    return _ASKS_TO_SPEAK.search(text)


_TOPIC = re.compile(
    rf"\b(?:{_TALK_VERB}\w*|saying|talking|speaking|telling|explaining|announcing|introducing|presenting)\s+(?:\w+\s+)?"
    r"(?:(?:about|on|that)\s+|(?=(?:how|why|what)\b))(?P<topic>.+)$"
    r"|\b(?:explain\w*|introduc\w*|announc\w*|present\w*)\s+(?P<object>(?:our|my|the|a|an|their|his|her|this)\s+.+)$",
    re.I | re.S,
)


def talking_topic(text: str) -> str | None:
    """What the face talks about ("make her talk about the weather": "the weather"), the video's subject."""
    if match := _TOPIC.search(text):
        topic = re.sub(
            r"(?:[\s,;:]+(?:in|at|with|and|for|of|on|to|a|an|the))+\s*$", "", match.group("topic") or match.group("object"), flags=re.I
        )
        return topic.strip(" .,;:!?") or None
    return None


@dataclass(frozen=True)
class Verbatim:
    """Words to say as written, where they are in the message, and whether they ran to its end (after "say:")."""

    words: str
    start: int
    end: int
    to_the_end: bool


def verbatim(text: str, after: int = 0) -> Verbatim | None:
    """The first words said verbatim at or after ``after``: after "say:" or in quotes ("" when empty)."""
    match = _VERBATIM.search(text, after)
    if match is None:
        return None
    if match.group("colon") is not None:
        return Verbatim(_tidy(match.group("colon")), match.start("colon"), len(text), to_the_end=True)
    said = match.group("double") if match.group("double") is not None else match.group("single")
    return Verbatim(_tidy(said), match.start(), match.end(), to_the_end=False)


def spoken_words(text: str) -> tuple[str | None, str]:
    """The words to be said verbatim (None: the planner writes them; "" when the quotes or the colon are empty)
    and the message without them, so the words are never read as the video's subject, length or style ("say: it's
    a 10 second promo"). Of several quotes, the first after the ask to speak: 'titled "Summer" where she says "hi"'."""
    ask = _ASKS_TO_SPEAK.search(text)
    if (found := verbatim(text, ask.start() if ask else 0)) is not None:
        if found.to_the_end:  # the verb stays: "make my avatar say" still asks for speech
            return found.words, text[: found.start].rstrip(" :：")
        return found.words, (text[: found.start] + " " + text[found.end :]).strip()
    if match := _REPORTED.search(text):
        said = _tidy(match.group("said"))
        return said[:1].upper() + said[1:], text[: match.start("said")].strip()
    return None, text


def lines_for(said: str, shots: int) -> list[str]:
    """``said`` in whole sentences over talking shots, none longer than a shot can say (MAX_WORDS_PER_SHOT,
    MAX_NARRATION_CHARS; only a sentence longer than that is cut, at a word), as many lines as it takes and
    at least ``shots`` entries: with fewer sentences than shots the last entries are empty (shots with no words)."""
    sentences = [part.strip() for part in re.split(r"(?<=[.!?…。！？])\s+", said) if part.strip()]
    chunks: list[str] = []
    for sentence in sentences:
        for piece in _pieces(sentence):
            if (
                chunks
                and len(chunks[-1].split()) + len(piece.split()) <= MAX_WORDS_PER_SHOT
                and len(chunks[-1]) + len(piece) < MAX_NARRATION_CHARS
            ):
                chunks[-1] = f"{chunks[-1]} {piece}"
            else:
                chunks.append(piece)
    while 0 < len(chunks) < shots and (halves := _sentence_halves(max(chunks, key=len))) is not None:
        longest = chunks.index(max(chunks, key=len))
        chunks[longest : longest + 1] = halves
    return chunks + [""] * max(0, shots - len(chunks))


def speaking_time_s(line: str) -> float:
    """About how long ``line`` takes to say: the plan's estimate until the voice says it (the render times
    talking shots by their real speech)."""
    return len(line.split()) / WORDS_PER_SECOND


def _pieces(sentence: str) -> list[str]:
    """A sentence cut at word boundaries into pieces a shot can say."""
    words, pieces = sentence.split(), []
    while words:
        piece = words[:MAX_WORDS_PER_SHOT]
        while len(" ".join(piece)) > MAX_NARRATION_CHARS - 1 and len(piece) > 1:
            piece = piece[:-1]
        pieces.append(" ".join(piece)[: MAX_NARRATION_CHARS - 1])
        words = words[len(piece) :]
    return pieces


def _sentence_halves(chunk: str) -> list[str] | None:
    """A chunk of several sentences split in two between sentences; None for one sentence (never cut to fill shots)."""
    sentences = re.split(r"(?<=[.!?…。！？])\s+", chunk)
    if len(sentences) < 2:
        return None
    middle = len(sentences) // 2
    return [" ".join(sentences[:middle]), " ".join(sentences[middle:])]


def _tidy(said: str) -> str:
    return re.sub(r"\s+", " ", said).strip(" \"'“”«»„")

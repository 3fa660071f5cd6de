"""Talking shots as people ask for them: whether a face should speak, and its exact words when they are given.

"make my avatar say: welcome to the channel", 'have the woman in this photo say "we open at nine"',
"a talking head of me explaining our refund policy". Words after "say:" or in quotes are spoken verbatim;
otherwise the planner writes the line. Only a shot with a photo can speak (its face is the one that
talks), so the planner and the edits decide which shots talk; this module only reads the words.
"""

from __future__ import annotations

import re

from reelwright.plan import MAX_NARRATION_CHARS

#: Who speaks, as people point at the face: "my avatar", "her", "the woman in this photo".
_PERSON_NOUN = (
    r"(?:woman|man|person|girl|boy|lady|guy|face|avatar|portrait|presenter|host|kid|child|character|mascot|model|"
    r"speaker|anchor|teacher|doctor|chef|photo|picture|image|pic|selfie|subject|grandma|grandpa|dad|mom|mum|friend|baby|dog|cat)"
)
_PHOTO = r"(?:photo|picture|image|pic|portrait|selfie|upload|attachment)"
_SPEAKER = (
    rf"(?:me|her|him|them|it|us|my\s+(?:[\w-]+\s+){{0,2}}?{_PERSON_NOUN}|(?:the|this|that|these|our|your)\s+(?:[\w-]+\s+){{0,3}}?{_PERSON_NOUN})"
    rf"(?:\s+(?:in|from|on|of)\s+(?:the|this|that|my|our)\s+{_PHOTO})?"
)
_TALK_VERB = r"(?:say|speak|talk|tell|read|announce|introduce|greet|explain|present|recite|lip[- ]?sync|welcome|thank)"
_ASKS_TO_SPEAK = re.compile(
    rf"\b(?:make|have|let|get)\s+{_SPEAKER}\s+(?:to\s+)?{_TALK_VERB}\w*\b"
    rf"|\btalking[- ](?:head|portrait|photo|picture|avatar|face|selfie)s?\b"
    rf"|\blip[- ]?sync(?:ed|ing)?\b"
    rf"|\b{_SPEAKER}\s+(?:saying|talking|speaking|telling|explaining|announcing|reading|introducing|greeting)\b"
    rf"|\b(?:where|in\s+which|and)\s+{_SPEAKER}\s+(?:says|talks|speaks|tells|explains|announces|reads|introduces|greets|presents)\b"
    rf"|\b(?:animate|bring)\s+{_SPEAKER}\s+(?:to\s+life\s+)?(?:so\s+(?:that\s+)?(?:she|he|they|it)\s+)?(?:says?|speaks?|talks?)\b",
    re.I,
)
#: The exact words: after "say:" (to the end), or in double or single quotes.
_VERBATIM = re.compile(
    r"\b(?:say|says|saying|tell\s+(?:\w+\s+){0,2}?|announce|read(?:\s+out)?|speak|recite)\s*[:：]\s*(?P<colon>.+)$"
    r"|[\"“”«„](?P<double>[^\"“”«»„]+)[\"“”»]"
    r"|(?<![\w'])'(?P<single>(?:[^']|(?<=\w)'(?=\w)){2,}?)'(?![\w'])",
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
    return bool(_ASKS_TO_SPEAK.search(text))


_TOPIC = re.compile(
    rf"\b(?:{_TALK_VERB}\w*|saying|talking|speaking|telling|explaining|announcing|introducing|presenting)\s+(?:\w+\s+)?"
    r"(?:(?:about|on|that)\s+|(?=(?:how|why|what)\b))(?P<topic>.+)$"
    r"|\b(?:explain\w*|introduc\w*|announc\w*|present\w*)\s+(?P<object>(?:our|my|the|a|an|their|his|her|this)\s+.+)$",
    re.I | re.S,
)


def talking_topic(text: str) -> str | None:
    """What the face talks about ("make her talk about the weather": "the weather"), the video's subject."""
    if match := _TOPIC.search(text):
        return (match.group("topic") or match.group("object")).strip(" .,!?") or None
    return None


def spoken_words(text: str) -> tuple[str | None, str]:
    """The words to be said verbatim (None: the planner writes them) and the message without them, so the
    words are never read as the video's subject, length or style ("say: it's a 10 second promo")."""
    if match := _VERBATIM.search(text):
        if match.group("colon") is not None:  # the verb stays: "make my avatar say" still asks for speech
            return _tidy(match.group("colon")), text[: match.start("colon")].rstrip(" :：")
        said = match.group("double") if match.group("double") is not None else match.group("single")
        return _tidy(said), (text[: match.start()] + " " + text[match.end() :]).strip()
    if match := _REPORTED.search(text):
        said = _tidy(match.group("said"))
        return said[:1].upper() + said[1:], text[: match.start("said")].strip()
    return None, text


def lines_for(said: str, shots: int) -> list[str]:
    """``said`` spread over at least ``shots`` talking shots, whole sentences each, none longer than a shot
    can say (MAX_WORDS_PER_SHOT, MAX_NARRATION_CHARS); fewer sentences than shots leave the last shots empty."""
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
    while 0 < len(chunks) < shots and any(len(chunk.split()) > 1 for chunk in chunks):
        longest = max(range(len(chunks)), key=lambda index: len(chunks[index]))
        halves = _halves(chunks[longest])
        if halves is None:
            break
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


def _halves(chunk: str) -> list[str] | None:
    """A chunk split in two, at a sentence end if it has one, else at its middle word."""
    sentences = re.split(r"(?<=[.!?…。！？])\s+", chunk)
    if len(sentences) > 1:
        middle = len(sentences) // 2
        return [" ".join(sentences[:middle]), " ".join(sentences[middle:])]
    words = chunk.split()
    if len(words) < 2:
        return None
    middle = len(words) // 2
    return [" ".join(words[:middle]), " ".join(words[middle:])]


def _tidy(said: str) -> str:
    return re.sub(r"\s+", " ", said).strip(" \"'“”«»„")

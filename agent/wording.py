"""How people actually type: typos, number words in several languages, emoji in place of words.

The parsers of requests and edits match words through this module, so "mkae shot 3 slow motion pls",
"45 secnds", "treinta segundos" and "a 🦊 in the snow" read like their plain-English equivalents.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from reelwright.agent.real_words import REAL_WORDS

#: Number words in English, French, Spanish, Portuguese, Italian and German, up to what a video needs.
NUMBER_WORDS: dict[str, float] = {
    # English
    "zero": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "half": 0.5,
    "couple": 2,
    "dozen": 12,
    # French
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "douze": 12,
    "quinze": 15,
    "vingt": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
    "soixante": 60,
    "demi": 0.5,
    "demie": 0.5,
    # Spanish / Portuguese / Italian
    "uno": 1,
    "una": 1,
    "um": 1,
    "uma": 1,
    "dos": 2,
    "dois": 2,
    "duas": 2,
    "due": 2,
    "tres": 3,
    "três": 3,
    "tre": 3,
    "cuatro": 4,
    "quatro": 4,
    "cinco": 5,
    "cinque": 5,
    "seis": 6,
    "sei": 6,
    "siete": 7,
    "sete": 7,
    "sette": 7,
    "ocho": 8,
    "oito": 8,
    "otto": 8,
    "nueve": 9,
    "nove": 9,
    "diez": 10,
    "dez": 10,
    "dieci": 10,
    "doce": 12,
    "doze": 12,
    "dodici": 12,
    "quince": 15,
    "quindici": 15,
    "veinte": 20,
    "vinte": 20,
    "venti": 20,
    "treinta": 30,
    "trinta": 30,
    "trenta": 30,
    "cuarenta": 40,
    "quarenta": 40,
    "quaranta": 40,
    "cincuenta": 50,
    "cinquenta": 50,
    "sesenta": 60,
    "sessenta": 60,
    "sessanta": 60,
    "medio": 0.5,
    "media": 0.5,
    "meio": 0.5,
    "meia": 0.5,
    "mezzo": 0.5,
    "mezza": 0.5,
    # German
    "ein": 1,
    "eine": 1,
    "einer": 1,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "fünf": 5,
    "funf": 5,
    "sechs": 6,
    "sieben": 7,
    "acht": 8,
    "neun": 9,
    "zehn": 10,
    "zwölf": 12,
    "zwolf": 12,
    "fünfzehn": 15,
    "zwanzig": 20,
    "dreißig": 30,
    "dreissig": 30,
    "vierzig": 40,
    "fünfzig": 50,
    "sechzig": 60,
    "halbe": 0.5,
    "halb": 0.5,
}
#: Words that are numbers only next to a unit ("a minute"), never counts on their own ("a fox").
ARTICLE_NUMBERS = {"a", "an", "un", "une", "uno", "una", "um", "uma", "ein", "eine", "einer", "single"}

ORDINAL_WORDS: dict[str, int] = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
}

_EMOJI_SUFFIXES = re.compile(r"\s+(?:face|symbol|sign)$")
_BEFORE_A_NOUN = {"a", "an", "the", "my", "of", "with", "and", "some", "two", "three", "un", "une", "el", "la", "der", "die", "das"}
_INVISIBLE = {"\u200d", "\u200c", "\u200e", "\u200f", "\ufe0f", "\ufe0e", "\u2066", "\u2067", "\u2068", "\u2069"}


def parse_number(token: str) -> float:
    """A number written in digits ("1,5", "1e3") or in words of the supported languages."""
    token = token.lower().strip()
    if token in NUMBER_WORDS:
        return float(NUMBER_WORDS[token])
    if "-" in token.strip("-") and all(part in NUMBER_WORDS for part in token.split("-")):
        return float(sum(NUMBER_WORDS[part] for part in token.split("-")))  # twenty-five
    return float(token.replace(",", "."))


def damerau_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance (a swap of neighbours counts one), capped at ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def allowed_typos(word: str) -> int:
    """How many slips a word of this length may carry and still be recognised."""
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


def closest(word: str, vocabulary: frozenset[str]) -> str | None:
    """``word`` itself if known, else the one vocabulary word it is a clear typo of, else ``None``.

    A real word is never a typo: "swan" is not "swap", "fist" is not "first".
    """
    word = word.lower()
    if word in vocabulary:
        return word
    budget = allowed_typos(word)
    if not budget or word in REAL_WORDS:
        return None
    found = {
        candidate
        for candidate in vocabulary
        if abs(len(candidate) - len(word)) <= budget
        and len(candidate) >= 4
        and (candidate[0] == word[0] or candidate[:2] == word[1::-1])  # people rarely miss the first letter
        and damerau_distance(word, candidate, budget) <= budget
    }
    return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=64)
def _vocabulary(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(words)


def correct_typos(text: str, vocabulary: tuple[str, ...], protected: frozenset[str] = frozenset()) -> str:
    """``text`` with each unknown word that is a clear typo of a vocabulary word replaced by it.

    Real words (``REAL_WORDS``, and those in ``protected``: "male" beside "make") are never changed.
    """
    known = _vocabulary(vocabulary)

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        lower = word.lower()
        if lower in known or lower in protected or lower in NUMBER_WORDS:
            return word
        replacement = closest(lower, known)
        return replacement if replacement else word

    # Quoted words are the person's own (a narration line): never touched.
    parts = re.split(r"([\"“«][^\"”»]*(?:[\"”»]|$)|(?<!\w)'[^']*(?:'(?!\w)|$))", text)
    return "".join(part if index % 2 else re.sub(r"[A-Za-z]{4,}", fix, part) for index, part in enumerate(parts))


def is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" or 0x1F000 <= ord(char) <= 0x1FAFF


def emoji_name(char: str) -> str:
    """ "🦊" -> "fox", "🌊" -> "water wave": the Unicode name, lower-case, without "face"."""
    try:
        name = unicodedata.name(char).lower()
    except ValueError:
        return ""
    return _EMOJI_SUFFIXES.sub("", name)


def plain_text(text: str) -> str:
    """Text with emoji read as words where they stand for one, and as nothing where they decorate.

    An emoji right after an article or preposition ("a 🦊 in the snow") names the thing; anywhere else
    ("fox in the snow 🦊❄️") it is decoration. Joiners, variation selectors, skin tones and direction
    marks are dropped.
    """
    text = re.sub("[\U0001f3fb-\U0001f3ff]", "", text)
    text = re.sub("(?<=\\S)\u200d(?=\\S)", " ", text)  # "👩‍🚀" -> "woman rocket"
    text = "".join(c for c in text if c not in _INVISIBLE)
    out: list[str] = []
    tokens = re.split(r"(\s+)", text)
    words = [t for t in tokens if t.strip()]
    lowered = text.lower()
    for index, token in enumerate(tokens):
        if not token or token.isspace() or not any(is_emoji(c) for c in token):
            out.append(token)
            continue
        previous = next((t for t in reversed(tokens[:index]) if t.strip()), "").lower()
        following = next((t for t in tokens[index + 1 :] if t.strip()), "")
        names = [emoji_name(c) for c in token if is_emoji(c)]
        rest = "".join(c for c in token if not is_emoji(c))
        names = [n for n in names if n and n.split()[0] not in lowered]  # "fireworks 🎆" says it twice
        stands_for_a_word = previous in _BEFORE_A_NOUN or token == words[0] or following[:1].isalpha()
        out.append((" ".join(dict.fromkeys(names)) + rest) if stands_for_a_word and names else rest)
    return re.sub(r"[ \t]{2,}", " ", "".join(out)).strip()

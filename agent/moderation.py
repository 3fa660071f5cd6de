"""What Reelwright will not make: an offline moderation policy and the checker that applies it.

The service checks a request before planning and every free-text field of every plan version after
planning and after each edit (:func:`check_plan`), so a model that writes something the person did not
ask for is caught too. The check is code only (word lists and patterns, no model, no network), fast
enough to run on every version, and deterministic, so a refusal can be stored and explained.

Two kinds of category:

* Always on, whatever a server's policy says: ``minors``, ``sexual_real_person``, ``impersonation`` and
  ``fake_news``. These are the videos that hurt someone real or deceive viewers.
* General, on by default: ``sexual``, ``graphic_violence``, ``hate``, ``self_harm`` and ``custom`` (a
  server's own blocked words). A server may turn off ``sexual`` and ``graphic_violence`` (an adult or
  horror community); ``hate`` and ``self_harm`` stay on, and ``custom`` is empty unless words are added.

Judgement calls, decided here so every layer agrees:

* Minors. Any video that shows a child or teenager is refused (the product's policy: a generated child
  is a likeness we cannot get consent for), including plain scenes ("a kid flying a kite"), as are terms
  that only exist to sexualise children. Audience and style phrases ("for kids", "kid-friendly",
  "family friendly", "teen audience") never count as depicting a child, but sexual content aimed at
  children is refused.
  "girl" or "boy" alone is not a minor (people say it of adults); "little/young girl", "N-year-old" with
  N < 18, "schoolgirl", "underage" and a few words of other languages ("niña", "enfant", "Kinder") are.
  Young animals ("a kid goat", "baby elephant", "cub") are not. Bath and shower scenes with a child count
  as unsafe (the video model may render nudity), so "a mother bathing her baby" is refused.
* Public figures. Naming a listed real person (heads of state and government, politicians, royals, CEOs,
  musicians, actors, athletes, religious leaders, media people) refuses, whatever the verb: a generated
  video of them always shows them doing something they did not do, and satire or "in the style of"
  gives no protection (a voice or face imitation is still them). Real titles count ("the president",
  "the pope", "the king of England", "Apple's CEO", "President Xi"); generic ones do not ("a president
  giving a speech in a fantasy kingdom", "the president of the chess club", "the king" of a fairy tale).
  Long-dead historical figures (Lincoln, Napoleon, Cleopatra) are not listed, so history explainers pass.
* Fake news. News framing ("breaking news", "news footage", "CCTV footage", a named outlet) refuses when
  it is anchored to the real world: a real outlet, a disaster, attack or other newsworthy event, a real
  place, or a request for realism. A non-photoreal style (cartoon, anime, claymation, LEGO) or an
  invented world (dragons, a fantasy kingdom) clears a generic event; "leaked footage", "fake news" and
  "make people think it's real" are refused whatever the style.
* Negation. "no nudity", "not gory", "without blood" are instructions to avoid, not requests.

Normalisation before matching (:func:`normalise`): Unicode NFKC, case folding, accents stripped,
zero-width and direction characters removed, common Cyrillic/Greek look-alike letters read as Latin, emoji
that stand for a word read as that word, apostrophes, hyphens and dots read as spaces. Each text is also
read in three more ways: light leetspeak ("k1ds", "s3x", "p0rn", "$ex", "b@by"; digits only inside words,
so "10s" and "4k" stay numbers), spaced-out letters joined ("c h i l d", "n.u.d.e"), and runs of a
repeated letter squashed ("nuuude"). Public figures' names also tolerate one slip in a long name
("Zuckerburg", "Tayler Swift", "Rhianna") and possessives ("Obama's"). Not caught: euphemisms and
innuendo ("spicy", emoji innuendo), words split by other words, misspellings of the category words
themselves beyond the above, other languages beyond a few common words, people who are not on the list,
images (an uploaded image is only treated as showing a real person).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from reelwright.agent import moderation_terms as terms
from reelwright.agent.wording import damerau_distance, plain_text
from reelwright.plan import ShotPlan


class Category(StrEnum):
    MINORS = "minors"
    SEXUAL_REAL_PERSON = "sexual_real_person"
    IMPERSONATION = "impersonation"
    FAKE_NEWS = "fake_news"
    SEXUAL = "sexual"
    GRAPHIC_VIOLENCE = "graphic_violence"
    HATE = "hate"
    SELF_HARM = "self_harm"
    CUSTOM = "custom"


#: Never turned off: these hurt a real person or deceive viewers.
ALWAYS_ON: frozenset[Category] = frozenset({Category.MINORS, Category.SEXUAL_REAL_PERSON, Category.IMPERSONATION, Category.FAKE_NEWS})
#: The general categories, on by default.
GENERAL: frozenset[Category] = frozenset(Category) - ALWAYS_ON
#: The general categories a server may turn off.
ADJUSTABLE: frozenset[Category] = frozenset({Category.SEXUAL, Category.GRAPHIC_VIOLENCE})

#: What the person is told: short, never their own words back.
REASONS: MappingProxyType[Category, str] = MappingProxyType(
    {
        Category.MINORS: "I can't make videos that show children or teenagers. Videos for a young audience are fine.",
        Category.SEXUAL_REAL_PERSON: "I can't make sexual or nude videos of real people.",
        Category.IMPERSONATION: (
            "I can't make videos that show a real public figure, or sound like one, saying or doing things they didn't. "
            "A fictional character works, and so does your own voice (`/voice clone`, `reelwright voices clone`)."
        ),
        Category.FAKE_NEWS: "I can't make footage that could pass as real news or real events. A clearly fictional or animated take works.",
        Category.SEXUAL: "I can't make sexually explicit videos here.",
        Category.GRAPHIC_VIOLENCE: "I can't make videos with gore or graphic violence here.",
        Category.HATE: "I can't make videos with slurs or hateful content.",
        Category.SELF_HARM: (
            "I can't make videos about self-harm or suicide. If you're struggling, please reach out to someone you trust or a local crisis line."
        ),
        Category.CUSTOM: "This server's moderators have blocked a word in that request.",
    }
)
MAX_BLOCKED_WORDS = 500
MAX_BLOCKED_WORD_CHARS = 80
#: How far (in characters of normalised text, about a dozen words) a context word may sit from a person.
NEAR = 80


class Policy(BaseModel):
    """A server's moderation policy; stored as JSON per guild. The default refuses every category."""

    model_config = ConfigDict(frozen=True)

    disabled: frozenset[Category] = Field(default=frozenset(), description="General categories turned off (sexual, graphic_violence).")
    blocked_words: tuple[str, ...] = Field(default=(), description="Extra words or phrases, matched as whole words, any case.")

    @classmethod
    def default(cls) -> Policy:
        return cls()

    @field_validator("disabled")
    @classmethod
    def _only_adjustable(cls, disabled: frozenset[Category]) -> frozenset[Category]:
        locked = sorted(disabled - ADJUSTABLE)
        if locked:
            raise ValueError(f"{', '.join(locked)} cannot be turned off; a server may turn off only {', '.join(sorted(ADJUSTABLE))}")
        return disabled

    @field_validator("blocked_words")
    @classmethod
    def _clean_words(cls, words: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(dict.fromkeys(" ".join(word.split()) for word in words if normalise(word).strip(" |")))
        if len(cleaned) > MAX_BLOCKED_WORDS:
            raise ValueError(f"at most {MAX_BLOCKED_WORDS} blocked words")
        too_long = [word for word in cleaned if len(word) > MAX_BLOCKED_WORD_CHARS]
        if too_long:
            raise ValueError(f"blocked words are at most {MAX_BLOCKED_WORD_CHARS} characters")
        return cleaned

    @field_serializer("disabled")
    def _sorted(self, disabled: frozenset[Category]) -> list[str]:
        return sorted(disabled)

    def refuses(self, category: Category) -> bool:
        return category in ALWAYS_ON or category not in self.disabled


@dataclass(frozen=True)
class Refusal:
    """Why a text was refused: ``reason`` for the person, ``matched`` (a short term) for admins."""

    category: Category
    reason: str
    matched: str
    where: str


# --- Normalisation ---------------------------------------------------------------------------------

_LOOKALIKES = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        # Cyrillic and Greek letters that look Latin, a common way to slip a word past a filter.
        "а": "a",
        "в": "b",
        "е": "e",
        "ё": "e",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "ɡ": "g",
        "α": "a",
        "ε": "e",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
    }
)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_LEET_L = str.maketrans({"1": "l"})
_UNIT = re.compile(r"\d+(?:s|sec|secs|second|seconds|min|mins|m|h|hr|hrs|k|p|d|fps|x|st|nd|rd|th|yo|y)")
_JOINERS = re.compile(r"['’`´.\-_*~]+")
_SPACED_LETTERS = re.compile(r"(?<![a-z0-9])(?:[a-z] ){2,}[a-z](?![a-z0-9])")
_REPEATS = re.compile(r"([a-z])\1{2,}")


def normalise(text: str) -> str:
    """``text`` as the patterns read it: lower case, Latin letters without accents, words split by one space.

    Sentence punctuation becomes a ``|`` token so a name or phrase never runs across two sentences or
    two fields.
    """
    return _words_only(_fold(text))


def _fold(text: str) -> str:
    text = plain_text(unicodedata.normalize("NFKC", text))
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if unicodedata.category(c) not in {"Mn", "Me", "Cf"})
    return text.casefold().translate(_LOOKALIKES)


def _words_only(text: str) -> str:
    text = _JOINERS.sub(" ", text.replace("+", " plus "))
    text = re.sub(r"[^a-z0-9\s]+", " | ", text)
    return " ".join(text.split())


def _leet(text: str, table: dict[int, str]) -> str:
    def decode(match: re.Match[str]) -> str:
        word = match.group(0)
        letters = sum(c.isalpha() for c in word)
        if letters < 2 or word.isalpha() or _UNIT.fullmatch(word):
            return word
        return word.translate(table)

    return re.sub(r"[a-z0-9@$]+(?:![a-z]+)*", decode, text)


@dataclass(frozen=True)
class _Reading:
    """One text read every way a pattern should see it."""

    raw: str
    variants: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> _Reading:
        folded = _fold(text)
        base = _words_only(folded)
        leet = _words_only(_leet(folded, _LEET))
        leet_l = _words_only(_leet(folded.translate(_LEET_L), _LEET))
        joined = _REPEATS.sub(r"\1", _SPACED_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), base))
        # "a n u d e": the article is a word of its own, the letters after it are the hidden one.
        after_article = _REPEATS.sub(r"\1", _SPACED_LETTERS.sub(_join_after_article, base))
        return cls(text, tuple(dict.fromkeys((base, leet, leet_l, joined, after_article))))


def _join_after_article(match: re.Match[str]) -> str:
    letters = match.group(0).split()
    if letters[0] in {"a", "i"} and len(letters) >= 4:
        return letters[0] + " " + "".join(letters[1:])
    return "".join(letters)


def _words(pattern: str) -> re.Pattern[str]:
    """``pattern`` matched on whole words of normalised text."""
    return re.compile(rf"(?<![a-z0-9])(?:{pattern})(?![a-z0-9])")


def _drop(text: str, pattern: re.Pattern[str]) -> str:
    """``text`` with ``pattern``'s matches blanked to a boundary, keeping every other character in place."""
    return pattern.sub(lambda match: "|" + " " * (len(match.group(0)) - 1), text)


def _near(text: str, spans: Iterable[tuple[int, int]], context: re.Pattern[str]) -> re.Match[str] | None:
    """The first ``context`` match within :data:`NEAR` characters of any of ``spans``."""
    found = list(context.finditer(text))
    for start, end in spans:
        for match in found:
            if match.start() - end <= NEAR and start - match.end() <= NEAR:
                return match
    return None


# --- Patterns ---------------------------------------------------------------------------------------

_NEGATION = (
    r"(?:no|not|non|without|nothing|never|zero|avoid|avoiding|free of|don t (?:show|want|include|add)|do not (?:show|want|include|add)|"
    r"dont (?:show|want|include|add)) (?:(?:any|more|real|actual|explicit|graphic|of|the|kind|sort|obvious|too|much|at|all) ){0,3}"
)

_EXPLICIT_TERMS = (
    r"porn|porno|pornos|porns|pornography|pornographic|pornografia|xxx|nsfw|nude|nudes|naked|nudity|nudist|nudists|topless|bottomless|"
    r"sex|sexual|sexually|sexo|sexe|intercourse|blowjobs?|handjobs?|orgasms?|masturbat\w*|erotic|erotica|hentai|onlyfans|genitals?|"
    r"genitalia|penis|penises|vaginas?|boobs|tits|nipples?|striptease|strippers?|strip club|strip tease|lap ?dances?|bdsm|fetish\w*|lewd|"
    r"cum|cumshot|creampie|bukkake|gangbang|threesome|milf|deepthroat|anal|dildos?|sex toys?|make love|making love|made love|"
    r"jerk(?:ing)? off|sexting|upskirts?|downblouse|voyeur\w*|creepshots?|desnud[oa]s?|nackt|nackte|nue|nues"
)
_EXPLICIT_EXEMPT = _words(
    r"(?:food|car|cars|earth|space|cabin|ruin|ruins|sky|city|architecture|book|books|plant|garden|travel|map|gear|tech|weather|sunset|"
    r"nature|water|house|interior|design|cable|cat|dog|shoe|sneaker|coffee|kitchen) porn|"
    r"nude (?:color|colour|colored|coloured|tone|tones|shade|shades|lipstick|lips?|gloss|heels?|shoes?|pumps|sandals|flats|boots|makeup|"
    r"palette|eyeshadow|nails?|nail polish|polish|manicure|beige|pink|tights|stockings|dress|gown|top|sweater|knit|leather|bag|handbag|"
    r"suede|linen|bodysuit|look)|"
    r"naked (?:eye|flame|flames|mole rats?|cakes?|truth|juice|wine|bikes?|light|bulbs?|ambition|greed|aggression|lunch|singularity|trees?|"
    r"branches)|(?:blue|great|coal|marsh|willow|crested|long tailed|bearded|penduline) tits|(?:summa |magna )?cum laude|"
    r"sex of (?:the|a|an|your|my|his|her|their)|sex pistols|sex and the city|sex on the beach"
)
_EXPLICIT = _words(_EXPLICIT_TERMS)
_STRONG_SUGGESTIVE_TERMS = (
    r"sexy|sexier|seductive(?:ly)?|seduc\w*|sensual(?:ly)?|sultry|kinky|lingerie|underwear|panties|thong|undress\w*|unclothed|disrobe\w*|"
    r"stripp(?:ed|ing)|strips? (?:naked|down|off)|without (?:any )?cloth(?:es|ing)|no cloth(?:es|ing)|"
    r"tak(?:e|es|ing) off (?:her|his|their) cloth(?:es|ing)|nudify|spank\w*"
)
_SEXUAL_CONTEXT = _words(f"{_EXPLICIT_TERMS}|{_STRONG_SUGGESTIVE_TERMS}")
_NEGATED_SEXUAL = _words(f"{_NEGATION}(?:{_EXPLICIT_TERMS}|{_STRONG_SUGGESTIVE_TERMS})")

# Minors
_ANIMALS = (
    r"goats?|elephants?|animals?|birds?|chicks?|ducks?|ducklings?|penguins?|pandas?|seals?|otters?|turtles?|sea turtles?|deer|fox|foxes|"
    r"bears?|lions?|tigers?|cats?|dogs?|rabbits?|bunn(?:y|ies)|owls?|sloths?|koalas?|giraffes?|hippos?|rhinos?|zebras?|monkeys?|gorillas?|"
    r"chimps?|dolphins?|whales?|sharks?|dragons?|dinosaurs?|dinos?|octopus|horses?|pony|ponies|cows?|pigs?|sheep|lambs?|hedgehogs?|"
    r"squirrels?|raccoons?|alpacas?|llamas?|camels?|kangaroos?|wolf|wolves|yoda|groot|spiders?|snakes?|crocodiles?|alligators?|bats?|"
    r"mouse|mice|hamsters?|parrots?|swans?|goose|geese|chickens?|hens?|corgis?|puppy|puppies|kittens?|animals"
)
_MINOR_EXEMPT = _words(
    r"kid (?:goats?|gloves?|leather|skin|mohair)|(?:goat|goats|nanny goat) kids?|"
    rf"baby (?:{_ANIMALS}|carrots?|spinach|corn|potato(?:es)?|back ribs|bok choy|kale|arugula|bella|lettuce|food|blue|pink|yellow|"
    r"showers?|bump|steps?|boomers?|monitor|grand|powder|oil|bottles?|face|doll|teeth|tooth|carrier|stroller|formula|talk|names?|breath|"
    r"wipes?|gate|yoda|groot)|inner child|child s play|child ?proof|madonna and child|teen spirit|children s hospital|"
    # a child's way of drawing is a style, and what it shows is the drawing's subject
    r"(?:child|children|kid|kids|toddler) s (?:crayon )?(?:drawings?|paintings?|doodles?|scribbles?|art|artwork)|"
    r"(?:children|kids) (?:crayon )?(?:drawings|paintings|doodles|scribbles|artwork)|"
    r"(?:drawn|painted|scribbled|doodled) by (?:a |my |our )?(?:child|kid|toddler|son|daughter)"
)
_AUDIENCE_NEGATED = _words(
    r"(?:not|never|nothing|isn t|isnt) (?:(?:really|meant|suitable|appropriate|safe|made|aimed at|intended|for) ){0,3}(?:for )?"
    r"(?:kids|children|minors|teens|under 18s?|under eighteens?)|(?:adults?|18|18 plus|grown ups?) only|adults? audience|"
    r"(?:kids|children|minors) (?:should not|shouldn t|can t|cannot|must not|may not) (?:watch|see|view)|keep (?:kids|children) away|"
    r"no (?:kids|children|minors)"
)
_AUDIENCE = _words(
    r"(?:for|to|teach(?:es|ing)?|help(?:s|ing)?|show(?:s|ing)?|entertain(?:s|ing)?|aimed at|suitable for|safe for|appropriate for|"
    r"targeted at|targeting|made for|explain(?:s|ed|ing)? (?:it )?(?:to|for)|simple enough for|fun for|great for|perfect for|ideal for|"
    r"easy for) (?:(?:my|our|the|your|young|little|small|school|all|curious|younger|older|kindergarten|preschool) )*"
    r"(?:kids|children|child|toddlers|teens|teenagers|students|preschoolers|kiddos|little ones|youngsters|babies)|"
    r"(?:so|that) (?:(?:my|our|the|young|little) )*(?:kids|children|toddlers|teens|teenagers|students) (?:can|could|will) "
    r"(?:understand|follow|enjoy|learn)|"
    r"(?:kid|kids|child|children|family|teen|teens|toddler|baby|all ages)(?: s)? (?:friendly|safe|appropriate|proof|oriented|focused|"
    r"audiences?|viewers|show|shows|song|songs|cartoons?|channel|channels|tv|books?|stor(?:y|ies)|content|version|edition|mode|menu|"
    r"programs?|programmes?|programming|learning|education|educational|entertainment|rhymes?|lullab(?:y|ies)|games?|movies?|films?|"
    r"level|market)|all ages|g rated"
)
_UNDER_18 = r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|\d{1,2}"
_NOT_PEOPLE = (
    r"whisk(?:e)?y|scotch|wine|bourbon|rum|cognac|brandy|port|cheese|cheddar|balsamic|vinegar|cars?|trucks?|bikes?|dogs?|cats?|horses?|"
    r"pupp(?:y|ies)|kittens?|trees?|oak|house|home|building|bridge|company|brand|business|laptop|phone|computer|tradition|recipe|"
    r"sourdough|starter|bottle|barrel|forest|vines?|castle|church|temple|book|photo|song|video|channel|account|shop|store|bakery|"
    r"restaurant|pets?|parrot|tortoise|turtle|fish|plants?|bonsai|garden|cabin|boat|guitar|piano|watch|painting|retrievers?|labradors?|"
    r"poodles?|terriers?|spaniels?|shepherds?|beagles?|huskies|husky|bulldogs?"
)
_AGE = _words(
    rf"(?P<a>{_UNDER_18}) ?(?:years?|yrs?|yr) ?olds?(?! (?:[a-z]+ ){{0,2}}(?:{_NOT_PEOPLE}|{_ANIMALS})(?![a-z0-9]))|(?P<b>\d{{1,2}}) ?(?:yo|y o)|"
    rf"(?:aged?|age of) (?P<c>{_UNDER_18})(?! (?:years?|yrs?|months?|weeks?|days?))"
)
_NUMBER_WORDS = {
    word: index
    for index, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen".split()
    )
}
_MINOR_WORDS = _words(
    r"child|children|childs|kid|kids|kiddie|kiddies|kiddo|kiddos|toddlers?|bab(?:y|ies)|infants?|newborns?|teens?|teenagers?|teenage|"
    r"teenaged|adolescents?|pre ?teens?|tweens?|school ?girls?|school ?boys?|schoolchild(?:ren)?|(?:little|young|small|tiny) (?:girls?|boys?)|"
    r"(?:girl|boy) scouts?|(?:middle|high|grade|elementary|primary) ?schoolers?|(?:middle|elementary|primary|grade) school (?:students?|pupils?|"
    r"girls?|boys?|kids)|kindergart(?:e)?ners?|preschoolers?|minors|underage|under age|under (?:18|eighteen|the age of (?:18|eighteen))|"
    r"a minor(?= \||$| (?:girl|boy|in|who|being|wearing|with|at|on|and|posing|is|was|getting|doing|dressed|alone|that)(?![a-z0-9]))|"
    r"lolitas?|ninos|ninas|nino|nina|enfants?|fillettes?|petite fille|petit garcon|jeune fille|bambin[oaie]|ragazzin[oaie]|criancas?|"
    r"meninas?|meninos?|kinder|madchen|adolescentes?"
)
_CHILD_ABUSE = _words(
    r"loli|lolis|lolicon|shota|shotacon|jailbait|pedo|pedos|pedophil\w*|paedophil\w*|pedobear|child porn\w*|kiddie porn\w*|csam|"
    r"preteen models?|child (?:brides?|marriages?|soldiers?|abuse|sexual\w*|trafficking|labou?r)|underage (?:sex\w*|nude\w*|porn\w*|girls? nude)"
)

# Real people
_PRIVATE_PERSON = _words(
    r"(?:my|his|her|their|our|your) (?:ex|ex s|ex girlfriend|ex boyfriend|ex wife|ex husband|ex partner|girlfriend|boyfriend|gf|bf|wife|"
    r"husband|partner|fiance|fiancee|crush|coworkers?|co workers?|colleagues?|boss|manager|employees?|neighbou?rs?|teachers?|professor|"
    r"classmates?|roommates?|flatmates?|friends?|best friend|bestie|sisters?|brothers?|step ?sisters?|step ?brothers?|step ?mom|step ?mum|"
    r"step ?mother|step ?dad|mom|mother|mum|dad|father|cousins?|aunt|uncle|niece|nephew|daughters?|sons?|students?|tutor|babysitter|nanny|"
    r"landlord|landlady|tenant|doctor|nurse|therapist|pastor|priest|coach|trainer)|a real (?:woman|man|girl|guy|person|people|human)|"
    r"real (?:person|people)|someone i know|(?:a |the )?(?:girl|guy|woman|man|lady) (?:i know|from (?:work|school|class|my office|the office|"
    r"next door|accounting|the gym))|(?:this|that|my|her|his) (?:photo|picture|pic|pics|image|selfie|snapshot|headshot)|"
    r"(?:from|using|based on) (?:my|this|the|her|his|their|a) (?:photo|picture|pic|image|selfie|instagram|facebook|profile)|"
    r"(?:her|his|their) (?:instagram|insta|facebook|tiktok|profile|face)"
)
_NON_CONSENSUAL = _words(
    r"nudify\w*|deep ?nudes?|undress (?:this|that|my|her|him|them|the person|the woman|the girl|the photo)|(?:x ?ray|see through) (?:her|his) cloth\w*"
)
_HANDLE = re.compile(r"<@!?&?\d+>|(?<![\w@])@[A-Za-z0-9_.]{2,32}")

_DEEPFAKE = _words(
    r"deep ?fakes?|deepfak\w*|face ?swap\w*|swap (?:my|his|her|their|the) face|voice ?clon\w*|clon(?:e|ing) (?:the|his|her|their|my) voice|"
    r"real person s (?:face|voice)"
)
#: "the president" with no country means the real one, unless the story is invented or historical.
_GENERIC_TITLE = _words(
    rf"the (?:current |former |sitting |new )?(?:president|prime minister|vice president|first lady|supreme leader|royal family|pope)"
    rf"(?! of (?!{terms.COUNTRIES}(?![a-z0-9])))"
)
_ROYAL_TITLE = _words(
    r"(?<!a )(?<!an )(?:the )?(?:king|queen|monarch|prince|princess|emperor|empress|crown prince|royal family|royals) of "
    rf"{terms.COUNTRIES}"
)
_HISTORY_MARKERS = _words(
    r"medieval|middle ages|ancient|tudor|victorian|renaissance|baroque|century|centuries|1[0-8]\d\d s?|historical|history of|in history|"
    r"civil war|world war (?:one|two|i|ii|1|2)|ww1|ww2|wwii|viking|colonial|napoleonic|roman empire|pharaoh"
)


def _political_surnames() -> str:
    particles = {"bin", "al", "el", "da", "von", "der", "le", "de", "jr", "may", "long", "will"}
    names = {word for name in terms.POLITICAL for word in normalise(name).split() if len(word) > 1 and word not in particles}
    return "|".join(sorted(names, key=len, reverse=True))


_TITLES = _words(
    r"potus|flotus|pope (?:francis|leo|benedict|john paul)|dalai lama|archbishop of canterbury|leader of the free world|"
    rf"(?:the )?{terms.NATIONALITIES} (?:president|prime minister|pm|chancellor|first lady|supreme leader|head of state|premier)|"
    rf"(?:president|prime minister|pm|chancellor|head of state|premier|first lady|supreme leader) of {terms.COUNTRIES}|"
    rf"the (?:ceo|founder|co founder|chairman|owner|boss) of {terms.COMPANIES}|{terms.COMPANIES}(?: s)? (?:ceo|founder|co founder|chairman|boss)|"
    rf"{terms.POLITICAL_TITLES} (?:{_political_surnames()})(?: s)?"
)
_NOT_A_NAME = _words(
    r"trump cards?|trumps? (?:hate|everything)|king charles spaniels?|"
    # a place or institution named after someone is a place: the name goes with it, the person is not shown
    r"[a-z]+ (?:presidential library|tower|towers|plaza|memorial|stadium|arena|international airport|airport|bridge|boulevard|"
    r"foundation|center|centre|museum|library|hall|high school|university|college)"
)

# Fake news
_FAKE_NEWS_STRONG = _words(
    r"leaked (?:footage|video|videos|tape|tapes|recording|recordings|audio|clip|clips|photos?|call|cctv|bodycam)|fake news|"
    r"disinformation|misinformation|hoax (?:video|footage|clip)|pass(?:ed|ing)? (?:it |this |them )?off as (?:real|genuine|authentic|news)|"
    r"(?:make|so|making|until) (?:people|everyone|viewers|them|my followers|the internet) (?:think|believe|thinks|believes)|"
    r"(?:as if|like) it really happened|pretend(?:ing)? (?:it|this) (?:is|was) real"
)
_NEWS_FRAME = _words(
    r"breaking news|news (?:footage|report|reports|reporting|broadcast|broadcasts|bulletin|segment|clips?|story|coverage|flash|alert|"
    r"channel|program|programme|headlines?|video|anchors?|reporters?)|newscast|news cast|newsreel|"
    r"live (?:report|reporting|coverage|footage|broadcast|news|feed)|on the news|"
    r"(?:evening|nightly|morning|local|national|cable|tv|television) news|eyewitness (?:footage|videos?)|bystander (?:footage|videos?)|"
    r"(?:cctv|bodycam|body cam|body camera|security camera|security cam|surveillance|dashcam|dash cam|doorbell camera|ring camera) "
    r"(?:footage|videos?|clips?)|press conference|press briefing|official (?:statement|announcement)|"
    r"(?:government|emergency|presidential) (?:announcement|alert|address|broadcast)|emergency alert|state of the union|(?:tv|television) report"
)
_OUTLET_NEWS = _words(
    rf"{terms.NEWS_OUTLETS}(?: s)?(?: [a-z0-9]+){{0,2}} (?:news|report|reports|reporting|broadcast|segment|footage|clip|coverage|bulletin|"
    r"breaking|headlines?|anchors?|reporters?|chyron|ticker|live)|"
    rf"(?:news|report|reports|reporting|broadcast|segment|footage|clip|coverage|bulletin|anchor|reporter) (?:from|by|on) {terms.NEWS_OUTLETS}|"
    r"fox news|bbc news|sky news|abc news|cbs news|nbc news|al jazeera|reuters|associated press|ap news|newsmax"
)
_REALISM = _words(
    r"realistic|realistically|photorealistic|photo realistic|hyper ?realistic|real life|real world|authentic|genuine|actual|convincing|"
    r"believable|legit|true story|really happened|documentary style|unedited|raw footage|real"
)
_NEWS_EVENTS = _words(
    r"explosions?|explod\w*|blasts?|bomb(?:s|ing|ings|ed)?|attacks?|attacked|terror\w*|shootings?|shooters?|gunm[ae]n|gunfire|massacres?|"
    r"riots?|rioting|protests?|protesters?|war|wars|invasion|invad\w*|missiles?|airstrikes?|air strikes?|nuked?|nuclear|earthquakes?|"
    r"tsunamis?|hurricanes?|tornado(?:es)?|floods?|flooding|wildfires?|fires?|crash(?:es|ed)?|derail\w*|collaps\w*|arrest(?:s|ed)?|"
    r"assassinat\w*|killed|dead|deaths?|died|murder\w*|kidnap\w*|hostages?|outbreak|pandemic|virus|epidemic|elections?|votes?|voter fraud|"
    r"ballots?|fraud|scandal|coup|resign\w*|impeach\w*|evacuat\w*|emergency|disaster|catastrophe|casualties|victims|injured|martial law|"
    r"robbery|robbing|stock market crash|bank run|recession"
)
_REAL_ANCHOR = _words(rf"{terms.REAL_PLACES}|{terms.COUNTRIES}")
_STYLE_MARKERS = _words(
    r"cartoon\w*|animated|animation|anime|claymation|clay|stop motion|lego|pixel art|pixel|8 bit|16 bit|puppets?|muppets?|watercolou?r|"
    r"hand drawn|drawn|comic|comics|minecraft|roblox|low poly|paper cut ?out|felt|crayon|sock puppets?|toy|toys|doodle|sketch(?:ed)?|"
    r"storybook|illustrat\w*|2d|3d animated|pixar style|disney style|ghibli"
)
_WORLD_MARKERS = _words(
    r"fictional|fiction|fantasy|imaginary|made up|invented|fairy ?tales?|aliens?|extraterrestrials?|dragons?|zombies?|wizards?|witch(?:es)?|"
    r"unicorns?|superheroe?s?|sci ?fi|science fiction|video games?|kingdom of|elves|elf|goblins?|orcs?|trolls?|mermaids?|vampires?|"
    r"robots? uprising|galactic|intergalactic|another planet|on mars|middle earth|narnia|hogwarts|gotham|atlantis|dinosaurs?"
)

# General categories
_VIOLENCE_TERMS = (
    r"gore|gory|goriest|gruesome|dismember\w*|decapitat\w*|behead\w*|disembowel\w*|mutilat\w*|eviscerat\w*|entrails|intestines spill\w*|"
    r"guts (?:spill\w*|everywhere|out|hanging)|blood (?:splatter\w*|spatter\w*|everywhere|spurting|gushing|pouring|bath)|bloodbath|"
    r"splatter (?:film|movie|horror)|snuff (?:film|video|movie)s?|execution (?:video|footage)|torture (?:scene|porn|video)s?|tortur(?:ing|ed) "
    r"(?:a|the|him|her|them|someone|people|animals?|cats?|dogs?)|being tortured|school shooting|mass shooting|shoot(?:s|ing)? (?:up )?(?:a|the) "
    r"(?:school|crowd|classroom|church|mosque|synagogue|concert)|severed (?:heads?|hands?|arms?|legs?|limbs?|fingers?)|exposed (?:bones?|organs?|"
    r"intestines|brains?)|brains? (?:splatter\w*|blown out)|animal cruelty|(?:torturing|skinning|mutilating|killing) (?:a|the) (?:cat|dog|puppy|"
    r"kitten|animal|horse)|skinned alive|burn(?:ed|t|ing) alive|brutal(?:ly)? (?:murder\w*|killing|beating|stabbing)|stabb(?:ed|ing) to death|"
    r"beat(?:en|ing)? to death|graphic (?:violence|injur\w*|wounds?|death)"
)
_VIOLENCE = _words(_VIOLENCE_TERMS)
_NEGATED_VIOLENCE = _words(rf"{_NEGATION}(?:{_VIOLENCE_TERMS}|blood)")

_HATE = _words(
    r"nigg(?:er|ers|a|as|az)|sand ?niggers?|faggots?|kikes?|chinks?(?! (?:in|of|between|through))|gooks?|spics?(?! and span)|wetbacks?|"
    r"trann(?:y|ies)(?! (?:fluid|rebuild|repair|swap|cooler))|ragheads?|towelheads?|"
    r"retards?|retarded|pakis?|beaners?|golliwogs?|jigaboos?|porch monkeys?|slant ?eyes?|heil hitler|sieg heil|white power|gas the jews|"
    r"holocaust (?:was (?:fake|a hoax|a lie)|hoax|denial|never happened)|"
    r"(?:kill|exterminate|gas|genocide|eradicate|death to) (?:all )?(?:the )?(?:jews|muslims|christians|blacks|black people|"
    r"whites|white people|gays|gay people|lesbians|trans people|transgenders|immigrants|migrants|refugees|mexicans|arabs|asians|hindus|"
    r"sikhs|roma|gypsies)|"
    r"(?:jews|muslims|christians|blacks|black people|gays|gay people|trans people|immigrants|migrants|refugees|mexicans|arabs|asians|"
    r"hindus|women|whites|white people) are (?:vermin|subhuman|sub human|animals|parasites|cockroaches|rats|inferior|a disease|a plague)"
)
_SELF_HARM_EXEMPT = _words(
    r"suicide (?:prevention|awareness|hotline|helpline|crisis line|lifeline|squad|doors?|burn|burns|knob|king|mission)|"
    r"(?:self harm|suicide) (?:prevention|awareness|support|recovery|helpline|hotline)|prevent(?:ing)? (?:suicide|self harm)"
)
_SELF_HARM = _words(
    r"suicide|suicidal|kill(?:ing)? (?:my|your|him|her|them) ?sel(?:f|ves)|kys|self ?harm\w*|self ?injur\w*|"
    r"cut(?:ting)? (?:my|your|her|his|their) ?(?:self|selves|wrists?)|slit(?:ting)? (?:my|your|her|his|their) wrists?|"
    r"hang(?:ing)? (?:my|your|him|her|them) ?sel(?:f|ves)|end(?:ing)? (?:my|your|her|his|their) (?:own )?life|pro ?ana|pro ?mia|"
    r"thinspo\w*|starv(?:e|ing) (?:my|your|her|him) ?self|(?:how to|want to|going to) (?:overdose|od)"
)


# --- Public figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Figures:
    """The listed public figures, indexed for exact and one-slip lookups on word tokens."""

    names: dict[tuple[str, ...], str]
    by_first: dict[str, tuple[tuple[str, str], ...]]
    by_last: dict[str, tuple[tuple[str, str], ...]]
    solo: dict[str, str]
    longest: int

    @classmethod
    def build(cls) -> _Figures:
        names: dict[tuple[str, ...], str] = {}
        first: dict[str, list[tuple[str, str]]] = {}
        last: dict[str, list[tuple[str, str]]] = {}
        for name in (
            *terms.POLITICAL,
            *terms.ROYALS,
            *terms.BUSINESS,
            *terms.MUSIC,
            *terms.SCREEN,
            *terms.MEDIA,
            *terms.SPORT,
            *terms.RELIGION,
        ):
            words = tuple(normalise(name).split())
            names[words] = name
            if len(words) >= 2:
                first.setdefault(words[0], []).append((words[-1], name))
                last.setdefault(words[-1], []).append((words[0], name))
                if len(words[-1]) >= 5 and words[0][0] not in "ai":  # "T. Swift", not "a grande latte"
                    names[(words[0][0], words[-1])] = name
        for alias, name in terms.ALIASES.items():
            names[tuple(normalise(alias).split())] = name
        solo = {words[0]: name for words, name in names.items() if len(words) == 1}
        return cls(
            names={words: name for words, name in names.items() if not (len(words) == 1 and words[0] in terms.NOT_NAMES)},
            by_first={word: tuple(found) for word, found in first.items()},
            by_last={word: tuple(found) for word, found in last.items()},
            solo={word: name for word, name in solo.items() if word not in terms.NOT_NAMES},
            longest=max(len(words) for words in names),
        )

    def find(self, text: str) -> str | None:
        """The first listed person named in normalised ``text``, by canonical name."""
        tokens = text.split()
        for index, token in enumerate(tokens):
            for size in range(min(self.longest, len(tokens) - index), 0, -1):
                words = tuple(tokens[index : index + size])
                name = self.names.get(words)
                if name is None and len(words[-1]) > 3 and words[-1].endswith("s"):  # "the Obamas"
                    name = self.names.get((*words[:-1], words[-1][:-1]))
                if name:
                    return name
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            if len(following) == 1 and index + 2 < len(tokens):  # a middle initial: "Samuel L. Jackson"
                name = self.names.get((token, tokens[index + 2]))
                if name:
                    return name
            name = self._one_slip(token, following)
            if name:
                return name
        return None

    def _one_slip(self, token: str, following: str) -> str | None:
        if len(token) >= 7:
            for word, name in self.solo.items():
                if len(word) >= 7 and _one_slip_of(token, word):
                    return name
        if not following:
            return None
        if token in self.by_first and token not in _COMMON_FIRST_WORDS:
            for last, name in self.by_first[token]:
                if len(last) >= 5 and _one_slip_of(following, last):
                    return name
        if following in self.by_last and len(token) >= 5:
            for first, name in self.by_last[following]:
                if len(first) >= 5 and _one_slip_of(token, first):
                    return name
        return None


#: First names that are also everyday words: "will smite" is not a slip of "Will Smith".
_COMMON_FIRST_WORDS = frozenset(
    {"will", "mark", "bill", "jack", "frank", "max", "pat", "rob", "don", "ray", "king", "queen", "prince", "princess", "pope", "lady"}
)


def _one_slip_of(word: str, name: str) -> bool:
    if word == name or word[0] != name[0] or abs(len(word) - len(name)) > 1:
        return False
    return damerau_distance(word, name, 1) <= 1


_FIGURES = _Figures.build()


# --- Detectors --------------------------------------------------------------------------------------


def _minors(text: str, policy: Policy) -> tuple[str, str] | None:
    """(matched, reason) when ``text`` shows a minor, or aims sexual content at children."""
    if match := _CHILD_ABUSE.search(text):
        return match.group(0), REASONS[Category.MINORS]
    text = _drop(_drop(_drop(_drop(text, _NEGATED_SEXUAL), _EXPLICIT_EXEMPT), _AUDIENCE_NEGATED), _MINOR_EXEMPT)
    if re.search(r"(?<![a-z0-9])goats?(?![a-z0-9])", text):  # "a goat and her two kids"
        text = re.sub(r"(?<![a-z0-9])kids?(?![a-z0-9])", lambda match: "|" + " " * (len(match.group(0)) - 1), text)
    audience = [m.span() for m in _AUDIENCE.finditer(text)]
    depicted = _drop(text, _AUDIENCE)
    people = list(_MINOR_WORDS.finditer(depicted))
    people += [m for m in _AGE.finditer(depicted) if _is_minor_age(m)]
    if not people and not audience:
        return None
    if people and _SEXUAL_CONTEXT.search(text):
        return people[0].group(0), REASONS[Category.MINORS]
    if _near(text, audience, _SEXUAL_CONTEXT):
        start, end = audience[0]
        return text[start:end], REASONS[Category.MINORS]
    if people:
        return people[0].group(0), REASONS[Category.MINORS]
    return None


def _is_minor_age(match: re.Match[str]) -> bool:
    number = next(group for group in match.groups() if group)
    return (int(number) if number.isdigit() else _NUMBER_WORDS[number]) < 18


def _sexual_real_person(text: str, raw: str) -> str | None:
    if match := _NON_CONSENSUAL.search(text):
        return match.group(0)
    text = _drop(_drop(text, _NEGATED_SEXUAL), _EXPLICIT_EXEMPT)
    if not _SEXUAL_CONTEXT.search(text):
        return None
    if name := _public_figure(text):
        return name
    if handle := _HANDLE.search(raw):
        return handle.group(0)[:40]
    private = [m.span() for m in _PRIVATE_PERSON.finditer(text)]
    if _near(text, private, _SEXUAL_CONTEXT):
        return next(_PRIVATE_PERSON.finditer(text)).group(0)
    return None


def _public_figure(text: str) -> str | None:
    return _FIGURES.find(_drop(text, _NOT_A_NAME))


def _impersonation(text: str) -> str | None:
    if match := _DEEPFAKE.search(text):
        return match.group(0)
    if name := _public_figure(text):
        return name
    if match := _TITLES.search(text):
        return match.group(0)
    invented = _WORLD_MARKERS.search(text) or _HISTORY_MARKERS.search(text)
    if not invented and (match := _GENERIC_TITLE.search(text) or _ROYAL_TITLE.search(text)):
        return match.group(0)
    return None


def _fake_news(text: str) -> str | None:
    if match := _FAKE_NEWS_STRONG.search(text):
        return match.group(0)
    if match := _OUTLET_NEWS.search(text):
        return match.group(0)
    frame = _NEWS_FRAME.search(text)
    if not frame:
        return None
    place = _REAL_ANCHOR.search(text)
    anchored = place or _NEWS_EVENTS.search(text) or _REALISM.search(text)
    if not anchored or _STYLE_MARKERS.search(text) or (_WORLD_MARKERS.search(text) and not place):
        return None
    return frame.group(0)


def _sexual(text: str) -> str | None:
    match = _EXPLICIT.search(_drop(_drop(text, _NEGATED_SEXUAL), _EXPLICIT_EXEMPT))
    return match.group(0) if match else None


def _graphic_violence(text: str) -> str | None:
    match = _VIOLENCE.search(_drop(text, _NEGATED_VIOLENCE))
    return match.group(0) if match else None


def _hate(text: str) -> str | None:
    match = _HATE.search(text)
    return match.group(0) if match else None


def _self_harm(text: str) -> str | None:
    match = _SELF_HARM.search(_drop(text, _SELF_HARM_EXEMPT))
    return match.group(0) if match else None


@lru_cache(maxsize=256)
def _blocked(words: tuple[str, ...]) -> re.Pattern[str] | None:
    phrases = sorted({normalise(word) for word in words} - {""}, key=len, reverse=True)
    return _words("|".join(re.escape(phrase) for phrase in phrases)) if phrases else None


def _custom(text: str, policy: Policy) -> str | None:
    pattern = _blocked(policy.blocked_words)
    match = pattern.search(text) if pattern else None
    return match.group(0) if match else None


_DETECTORS: MappingProxyType[Category, Callable[[str], str | None]] = MappingProxyType(
    {
        Category.IMPERSONATION: _impersonation,
        Category.FAKE_NEWS: _fake_news,
        Category.SEXUAL: _sexual,
        Category.GRAPHIC_VIOLENCE: _graphic_violence,
        Category.HATE: _hate,
        Category.SELF_HARM: _self_harm,
    }
)


def _short(term: str) -> str:
    return term if len(term) <= 40 else term[:39] + "…"


def _first_refusal(reading: _Reading, policy: Policy, where: str) -> Refusal | None:
    for category in Category:
        if not policy.refuses(category):
            continue
        for text in reading.variants:
            found = _detect(category, text, reading.raw, policy)
            if found:
                matched, reason = found
                return Refusal(category=category, reason=reason, matched=_short(matched), where=where)
    return None


def _detect(category: Category, text: str, raw: str, policy: Policy) -> tuple[str, str] | None:
    """(matched term, reason) when ``category`` refuses normalised ``text`` (``raw`` is the text as typed)."""
    if category is Category.MINORS:
        return _minors(text, policy)
    if category is Category.SEXUAL_REAL_PERSON:
        matched = _sexual_real_person(text, raw)
    elif category is Category.CUSTOM:
        matched = _custom(text, policy)
    else:
        matched = _DETECTORS[category](text)
    return (matched, REASONS[category]) if matched else None


# --- API --------------------------------------------------------------------------------------------


def check_text(text: str, policy: Policy, where: str = "request") -> Refusal | None:
    """The first thing ``policy`` refuses in ``text`` (checked in :class:`Category` order), or ``None``."""
    if not text.strip():
        return None
    return _first_refusal(_Reading.of(text), policy, where)


def check_plan(plan: ShotPlan, policy: Policy) -> Refusal | None:
    """The first thing ``policy`` refuses anywhere the video shows or the video model reads.

    Checked: the title, the style, and every shot's prompt and narration (the narration is also the
    caption), each alone, then each shot's prompt and narration together, then the whole plan, so a
    child in a prompt and a suggestive line in its narration are read together. A shot that animates an
    uploaded image is treated as showing a real person. The negative prompt is not checked: it lists
    what the model must avoid ("nudity, gore"), so its words are not requests.
    """
    fields: list[tuple[str, str]] = [("title", plan.title), ("style", plan.style)]
    for shot in plan.shots:
        fields += [(f"shot {shot.id} prompt", shot.prompt), (f"narration of shot {shot.id}", shot.narration)]
    for where, text in fields:
        if refusal := check_text(text, policy, where):
            return refusal
    for shot in plan.shots:
        together = f"{shot.prompt} | {shot.narration}"
        if refusal := check_text(together, policy, f"shot {shot.id}"):
            return refusal
        if shot.source_image and _SEXUAL_CONTEXT.search(_drop(_drop(normalise(together), _NEGATED_SEXUAL), _EXPLICIT_EXEMPT)):
            return Refusal(Category.SEXUAL_REAL_PERSON, REASONS[Category.SEXUAL_REAL_PERSON], "uploaded image", f"shot {shot.id} prompt")
    return check_text(" | ".join(text for _, text in fields if text.strip()), policy, "plan")

"""What a shot's prompt says, read with word lists: subject, objects, action, setting, time, weather, framing.

Shot prompts are built as "<framing> of <subject> <action> <setting>, <theme>" (``agent/planner.py``) or are
a person's own words, so small lists of whole words (plural and -ing/-s forms folded) read them well enough
for a storyboard, with no NLP library. Matching is by whole word: "a forest" never matches "rest".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reelwright.generation.pictograms import Pictogram, known, pictogram, singular


def _forms(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: Canonical action -> the words that say it (base, -s, -ing and past forms).
ACTIONS: dict[str, tuple[str, ...]] = {
    "running": _forms("run running ran sprint sprinting dash dashing race racing chase chasing gallop galloping"),
    "walking": _forms("walk walking stroll strolling wander wandering hike hiking march marching trot trotting"),
    "flying": _forms("fly flies flying soar soaring glide gliding flutter fluttering hover hovering"),
    "swimming": _forms("swim swimming dive diving paddle paddling"),
    "falling": _forms("fall falling fell drop dropping tumble tumbling drift drifting snowing raining"),
    "jumping": _forms("jump jumping leap leaping hop hopping bounce bouncing pounce pouncing"),
    "dancing": _forms("dance dancing sway swaying wiggle wiggling"),
    "spinning": _forms("spin spinning twirl twirling rotate rotating whirl whirling"),
    "growing": _forms("grow growing bloom blooming blossom blossoming sprout sprouting unfold unfolding"),
    "pouring": _forms("pour pouring poured fill filling spill spilling"),
    "driving": _forms("drive driving ride riding speed speeding cycle cycling roll rolling cross crossing pass passing"),
    "sailing": _forms("sail sailing float floating surf surfing row rowing cruise cruising"),
    "launching": _forms("launch launching lift lifting ascend ascending climb climbing blast blasting rise rising"),
    "working": _forms(
        "cook cooking bake baking knead kneading type typing write writing paint painting play playing eat eating "
        "work working build building craft crafting read reading slice slicing chop chopping cut cutting"
    ),
    "resting": _forms("sleep sleeping rest resting sit sitting lie lying wait waiting stand standing"),
}
#: Settings, most specific first: the first one a prompt names is its place ("waves on a beach" is a beach).
SETTINGS: dict[str, tuple[str, ...]] = {
    "space": _forms("space galaxy nebula cosmos orbit planet planets outer astronaut astronauts spaceship spaceships rocket rockets"),
    "underwater": _forms("underwater reef coral seabed seafloor"),
    "interior": _forms(
        "kitchen office room bedroom cafe café bakery restaurant studio classroom library shop store indoors inside "
        "indoor workshop lab laboratory desk apartment hall oven stove sofa couch bedside fireplace counter breakfast dinner"
    ),
    "city": _forms("city street streets urban downtown skyline skyscraper skyscrapers alley traffic town rooftop"),
    "snow": _forms("snow snowy winter ice icy frozen arctic glacier blizzard tundra snowfall"),
    "desert": _forms("desert dune dunes canyon sahara savanna savannah"),
    "fire": _forms("volcano lava inferno wildfire flames blaze"),
    "beach": _forms("beach shore coast sand tropical island"),
    "ocean": _forms("ocean sea seas waves harbor harbour lake river pond bay lighthouse pier"),
    "mountains": _forms("mountain mountains peak peaks alpine cliff cliffs summit valley"),
    "forest": _forms("forest woods woodland jungle rainforest trees grove"),
    "field": _forms("field meadow garden park grass farm countryside hills prairie orchard"),
}
#: Words that name a place or a time and a thing to draw in it: "a lighthouse" is the sea and a lighthouse.
LANDMARKS = frozenset(
    _forms(
        "lighthouse lighthouses volcano volcanoes skyscraper skyscrapers moon planet planets astronaut astronauts spaceship "
        "spaceships rocket rockets fireplace oven stove sofa couch desk island"
    )
)
TIMES: dict[str, tuple[str, ...]] = {
    "night": _forms("night midnight moonlit moonlight starry nighttime neon dark moon"),
    "dawn": _forms("dawn sunrise morning daybreak"),
    "sunset": (*_forms("sunset dusk evening twilight"), "golden hour"),
}
WEATHER: dict[str, tuple[str, ...]] = {
    "snow": _forms("snow snowy snowing snowfall blizzard snowflakes"),
    "rain": _forms("rain rainy raining storm stormy drizzle downpour"),
    "fog": _forms("fog foggy mist misty haze hazy"),
    "wind": _forms("wind windy breeze breezy gust gusty"),
}
FRAMINGS: dict[str, tuple[str, ...]] = {
    "detail": ("detail", "macro", "extreme close-up", "extreme closeup"),
    "close": ("close-up", "closeup", "close up", "portrait"),
    "wide": _forms("wide establishing aerial panorama panoramic landscape"),
    "tracking": _forms("tracking follow following"),
    "medium": ("medium", "mid shot"),
}
#: Words that are never a shot's things, even where an emoji is named so ("shot", "up", "light" …).
STOPWORDS = frozenset(
    """
a an the of in on at by to into onto over under through across along around from with without for and or but as
is are be being been its it this that these those their his her our your my very slowly gently quickly softly
shot shots scene camera view frame framing close up wide medium detail tracking final establishing aerial extreme
cinematic style realistic photorealistic anime cartoon film movie video footage photo still sequence story high
fresh new old big small tiny huge little beautiful cozy cosy warm cold soft bright light dark golden first last
down up left right out off
lit glowing quiet busy empty full morning evening day time moment world place top bottom side end front back
how what why where when who which something someone thing things way
""".split()
)
#: Actions whose object is what is ridden or driven, and actions whose object moves while the subject stays.
RIDDEN = frozenset({"driving", "sailing"})
MOVED_BY_OTHERS = frozenset({"flying", "spinning", "falling", "launching"})
#: Actions whose object moves too, ahead of the subject ("a cat chasing a mouse").
MOVING_TOGETHER = frozenset({"running", "walking", "swimming"})
DETERMINERS = frozenset("a an the his her their its my our your some two three red big small little".split())
#: Things that float: with no setting named, they are drawn on water.
WATER_CRAFT = frozenset({"boat", "boats", "ship", "ships", "sailboat", "canoe", "yacht", "ferry"})
_TOKEN = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")


@dataclass(frozen=True)
class ShotWords:
    """What the storyboard draws for one prompt: everything the words say, nothing from a seed."""

    subject: Pictogram
    objects: tuple[Pictogram, ...]
    action: str | None
    setting: str
    time: str
    weather: str | None
    framing: str
    #: What does the action when it is not the subject ("flying a kite": the kite).
    mover: Pictogram | None = None
    #: The word that named an interior ("bakery", "office"): what dresses the room.
    room: str = ""
    #: The action as the prompt says it where that reads well ("kneading", not "working").
    verb: str = ""


def words_of(text: str) -> list[str]:
    return [token.lower() for token in _TOKEN.findall(text)]


def _first(words: list[str], text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    """The entry of ``table`` whose word comes first in ``words`` (phrases are looked for in ``text``)."""
    best: tuple[int, str] | None = None
    for name, forms in table.items():
        for form in forms:
            position = _position(form, words, text)
            if position is not None and (best is None or position < best[0]):
                best = (position, name)
    return best[1] if best else None


def _position(form: str, words: list[str], text: str) -> int | None:
    if " " in form or "-" in form:
        match = re.search(rf"(?<!\w){re.escape(form)}(?!\w)", text)
        return len(words_of(text[: match.start()])) if match else None
    return words.index(form) if form in words else None


def action_of(words: list[str]) -> tuple[str, int] | None:
    """The first verb with a motion, and where it is."""
    forms = {form: name for name, all_forms in ACTIONS.items() for form in all_forms}
    for position, word in enumerate(words):
        if word in forms:
            return forms[word], position
        if word.endswith("s") and word[:-1] in forms and word not in STOPWORDS:
            return forms[word[:-1]], position
    return None


def _action_words() -> frozenset[str]:
    return frozenset(form for forms in ACTIONS.values() for form in forms)


def things(words: list[str], action: str | None) -> tuple[list[tuple[int, Pictogram]], set[int]]:
    """The nouns with a picture, in prompt order, each once with its position, and the positions of the words
    they used. Two- and three-word names ("ice cream", "hot air balloon") are tried before single words, so
    their words are not read again as a setting ("ice") or a thing of their own.
    """
    skip = (
        STOPWORDS | _action_words() | {form for table in (SETTINGS, TIMES, WEATHER) for forms in table.values() for form in forms}
    ) - LANDMARKS
    found: list[tuple[int, Pictogram]] = []
    used: set[int] = set()
    position = 0
    while position < len(words):
        span, item = _thing_at(words, position, action, skip)
        if item is not None:
            used.update(range(position, position + span))
            if all(item.emoji != other.emoji for _, other in found):
                found.append((position, item))
        position += span
    return found, used


def _thing_at(words: list[str], position: int, action: str | None, skip: frozenset[str]) -> tuple[int, Pictogram | None]:
    for span in (3, 2):
        phrase = " ".join(words[position : position + span])
        # "man running" names an emoji too, but its verb moves the man: the person is the thing.
        verbs = any(word in _action_words() for word in words[position + 1 : position + span])
        if position + span <= len(words) and not verbs and known(phrase):
            return span, pictogram(phrase, action=action)
    word = words[position]
    if word in skip or singular(word) in skip or len(word) < 3:
        return 1, None
    item = pictogram(word, action=action)
    return 1, item if item.emoji else None


def _object_of(words: list[str], verb: int, position: int) -> bool:
    """Whether the thing at ``position`` is the verb's direct object: only articles and the like between them
    ("flying a kite", not "falling from a tree")."""
    return verb < position and all(word in DETERMINERS for word in words[verb + 1 : position])


def fallback_word(words: list[str], text: str) -> str:
    """The word a reviewer is shown when nothing in the prompt has a picture: the first noun after "of", the
    last of a compound ("a cozy living room" shows "room", "neon sign flickering" shows "sign")."""
    after = text.lower().split(" of ", 1)[1] if " of " in text.lower() else text
    run: list[str] = []
    for word in words_of(after):
        verb = word in _action_words() or word.endswith("ing") or (word.endswith("s") and word[:-1] in _action_words())
        if word in STOPWORDS or verb:
            if run:
                break
            continue
        run.append(word)
    return run[-1] if run else next(iter(words), "scene")


def read_prompt(prompt: str) -> ShotWords:
    """Read ``prompt``. The subject is the first living thing or vehicle with a picture, else the first thing.

    A verb's object moves instead of the subject where the subject only makes it move ("a kid flying a kite":
    the kite flies); something ridden or driven is the subject itself ("a man riding a horse": the horse runs).
    """
    text = prompt.lower()
    words = words_of(text)
    verb = action_of(words)
    action = verb[0] if verb else None
    found, used = things(words, action)
    items = [item for _, item in found]
    subject = next((item for item in items if item.kind != "thing"), items[0] if items else None) or pictogram(fallback_word(words, text))
    mover = next((item for position, item in found if verb and _object_of(words, verb[1], position) and item != subject), None)
    rider = None
    if mover is not None and action in RIDDEN and mover.kind != "thing":
        rider, subject, mover = subject, mover, None
        action = "running" if subject.kind == "living" else action
    elif action not in MOVED_BY_OTHERS | MOVING_TOGETHER:
        mover = None
    objects = tuple(item for item in items if item not in (subject, rider))[:3]
    place_words = [word if position not in used or word in LANDMARKS else "" for position, word in enumerate(words)]
    named = [(name, form) for name, forms in SETTINGS.items() for form in forms if _position(form, place_words, text) is not None]
    setting, room = named[0] if named else ("ocean" if subject.kind == "vehicle" and subject.word in WATER_CRAFT else "field", "")
    time = "night" if setting == "space" else _first(place_words, text, TIMES) or "day"
    framing = _first(words, text, FRAMINGS) or "medium"
    room = room if setting == "interior" else ""
    said = words[verb[1]] if verb and words[verb[1]].endswith("ing") and action == verb[0] else action or ""
    return ShotWords(subject, objects, action, setting, time, _first(place_words, text, WEATHER), framing, mover, room, said)

"""Reading a shot's prompt: the subject, its objects, the verb, the place, the time and the framing."""

import pytest

from reelwright.generation.storyboard_words import read_prompt


def test_a_planner_prompt_is_read_as_subject_action_setting_time_and_framing() -> None:
    words = read_prompt("wide establishing shot of red fox running through fresh snow at dawn")
    assert (words.subject.word, words.subject.emoji) == ("fox", "🦊")
    assert (words.action, words.setting, words.time, words.framing) == ("running", "snow", "dawn", "wide")
    assert words.objects == ()


@pytest.mark.parametrize(
    ("prompt", "subject"),
    [
        ("a bowl of soup next to a sleeping cat", "🐈"),  # a living thing beats a thing named first
        ("medium shot of two foxes in the woods", "🦊"),  # plurals
        ("puppies playing in a garden", "🐕"),
        ("close-up of a car driving through the desert", "🚗"),
        ("a child eating ice cream at the beach", "🧒"),
    ],
)
def test_the_subject_is_the_first_living_thing_or_vehicle_with_a_picture(prompt: str, subject: str) -> None:
    assert read_prompt(prompt).subject.emoji == subject


def test_words_match_whole_words_only() -> None:
    words = read_prompt("a deer at rest in a forest")
    assert words.setting == "forest"
    assert words.action == "resting"  # "rest" the word, not the end of "forest"
    assert read_prompt("an icicle hanging from a roof").setting != "snow"  # "ice" is not in "icicle"


def test_a_compound_name_is_one_thing_and_not_a_setting() -> None:
    words = read_prompt("medium shot of a child eating ice cream at the beach")
    assert [item.emoji for item in words.objects] == ["🍨"]
    assert words.setting == "beach"


@pytest.mark.parametrize(
    ("verb", "action"),
    [("runs", "running"), ("ran", "running"), ("flying", "flying"), ("swims", "swimming"), ("falling", "falling"), ("blooms", "growing")],
)
def test_verbs_are_read_in_their_forms(verb: str, action: str) -> None:
    assert read_prompt(f"a bird {verb} over the lake").action == action


@pytest.mark.parametrize(
    ("prompt", "setting", "time"),
    [
        ("a city street at night with neon signs", "city", "night"),
        ("waves on a beach at sunset", "beach", "sunset"),
        ("a baker kneading dough in a cosy kitchen", "interior", "day"),
        ("an astronaut drifting in space", "space", "night"),
        ("a sailboat on the ocean", "ocean", "day"),
        ("a lone tree on a hill", "field", "day"),
    ],
)
def test_the_setting_and_time_follow_the_words(prompt: str, setting: str, time: str) -> None:
    words = read_prompt(prompt)
    assert (words.setting, words.time) == (setting, time)


def test_a_prompt_with_no_picture_names_its_subject_in_words() -> None:
    words = read_prompt("final wide shot of how the internet works")
    assert words.subject.emoji is None
    assert words.subject.word == "internet"


def test_what_a_verb_acts_on_moves_where_the_subject_only_makes_it_move() -> None:
    kite = read_prompt("a kid flying a kite on a windy hill")
    assert (kite.subject.emoji, kite.mover and kite.mover.emoji, kite.action) == ("🧒", "🪁", "flying")
    chase = read_prompt("a cat chasing a mouse")
    assert (chase.subject.emoji, chase.mover and chase.mover.emoji) == ("🐈", "🐭")


def test_what_is_ridden_or_driven_is_the_subject() -> None:
    ride = read_prompt("a man riding a horse on the beach")
    assert (ride.subject.emoji, ride.action, ride.objects) == ("🐎", "running", ())
    assert read_prompt("a woman driving a car through the city").subject.emoji == "🚗"


def test_an_interior_remembers_which_room_it_is() -> None:
    assert read_prompt("a baker kneading dough in a small bakery").room == "bakery"
    assert read_prompt("medium shot of bread baking in the oven").setting == "interior"
    assert read_prompt("a fox in the snow").room == ""


@pytest.mark.parametrize(
    ("prompt", "thing", "setting", "time"),
    [
        ("a lighthouse on a cliff at night with a boat sailing", "lighthouse", "ocean", "night"),
        ("an astronaut floating above the moon", "moon", "space", "night"),
        ("a wolf howling at the moon", "moon", "field", "night"),
        ("a cat sleeping on the sofa", "sofa", "interior", "day"),
    ],
)
def test_a_landmark_is_drawn_and_also_sets_the_place_or_time(prompt: str, thing: str, setting: str, time: str) -> None:
    words = read_prompt(prompt)
    assert thing in [item.word for item in (words.subject, *words.objects)]
    assert all(item.emoji for item in (words.subject, *words.objects))
    assert (words.setting, words.time) == (setting, time)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("wide establishing shot of a cozy living room with a fireplace", "room"),
        ("wide establishing shot of a street market in marrakech", "market"),
        ("wide establishing shot of neon sign flickering open in a rainy alley", "sign"),
        ("final wide shot of how the internet works", "internet"),
    ],
)
def test_a_prompt_without_a_picture_is_labelled_with_the_noun_it_names(prompt: str, word: str) -> None:
    assert read_prompt(prompt).subject.word == word

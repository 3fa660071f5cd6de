"""Stated facts are pulled out of a person's words by code, whatever the model later writes."""

import re

import pytest

from reelwright.agent.planner import plan_video
from reelwright.agent.requirements import extract_requirements
from reelwright.errors import BadRequest
from reelwright.plan import Requirements


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        (
            "make a 10 second video of a fox in the snow, 9:16, no narration",
            {"total_duration_s": 10.0, "aspect": "9:16", "narration": False, "subject": "a fox in the snow"},
        ),
        (
            "A 1 minute clip about the history of bread in 4 shots with a female voice",
            {"total_duration_s": 60.0, "shot_count": 4, "voice_gender": "female", "subject": "the history of bread"},
        ),
        (
            "Make a video for mobile: sunrise over mountains, 15s",
            {"total_duration_s": 15.0, "aspect": "9:16", "subject": "sunrise over mountains"},
        ),
        ("a square clip of a cat, no music", {"aspect": "1:1", "music": False}),
        ("use a slower voice", {"voice_speed": 0.8}),
        ("10 hours of rain", {"total_duration_s": 36000.0}),
    ],
)
def test_explicit_facts_are_extracted(request_text: str, expected: dict) -> None:
    stated = extract_requirements(request_text).model_dump(exclude_none=True)
    for key, value in expected.items():
        assert stated[key] == value


def test_words_that_merely_contain_units_are_not_durations() -> None:
    assert extract_requirements("blah blah", with_subject=False) == Requirements()


def test_later_statements_override_earlier_ones_and_the_rest_is_kept() -> None:
    first = extract_requirements("a 10 second video of waves, 9:16")
    merged = first.merged_with(extract_requirements("make it 1:1", with_subject=False))
    assert merged.aspect == "1:1"
    assert merged.total_duration_s == 10.0
    assert merged.subject == first.subject


@pytest.mark.parametrize(
    ("request_text", "seconds"),
    [
        ("half a minute of rain", 30),
        ("20 secondes d'un chat qui dort", 20),
        ("45 secnds of waves", 45),
        ("a minute and a half of a city at night", 90),
        ("1m30 of a chef at work", 90),
        ("treinta segundos de un perro", 30),
        ("zwanzig Sekunden von einem Hund", 20),
        ("fourty five seconds of a forest", 45),
        ("a quarter of a minute of fire", 15),
        ("a 2 min 30 video of waves", 150),
        ("a clip under 30 seconds of a skater", 27),
    ],
)
def test_durations_are_read_in_words_other_languages_and_with_typos(request_text: str, seconds: float) -> None:
    assert extract_requirements(request_text).total_duration_s == seconds


@pytest.mark.parametrize(
    "request_text",
    [
        "an 80s synthwave drive at night",
        "a street in the 1920s",
        "a jazz club in 1920s paris",
        "fashion of the 2000s",
        "a 90's kid's bedroom",
        "a woman in her 30s reading",
        "a man in his mid-40s dancing",
        "a couple in their late 20s on a beach",
    ],
)
def test_a_decade_or_an_age_in_the_subject_is_not_the_video_length(request_text: str) -> None:
    stated = extract_requirements(request_text)
    assert stated.total_duration_s is None
    assert re.search(r"\d0'?s\b", stated.subject or "")


@pytest.mark.parametrize(
    ("request_text", "seconds", "kept"),
    [
        ("a 24 hour timelapse of a city in 12 seconds", 12, "24 hour"),
        ("a cake baked in a minute, 10 seconds", 10, "in a minute"),
        ("a 10 second video of a cake baked in a minute", 10, "in a minute"),
        ("10 seconds of a cake baked in a minute", 10, "in a minute"),
        ("a 5 minute egg boiling, 8 seconds long", 8, "5 minute"),
        ("half a minute of a 3 hour hike", 30, "3 hour"),
    ],
)
def test_a_length_in_the_subject_is_not_the_video_length(request_text: str, seconds: float, kept: str) -> None:
    stated = extract_requirements(request_text)
    assert stated.total_duration_s == seconds
    assert kept in (stated.subject or "")


@pytest.mark.parametrize(
    ("request_text", "kept"),
    [
        ("a 24 hour timelapse of a city", "24 hour timelapse"),
        ("a 24-hour timelapse of clouds over a valley", "24-hour timelapse"),
        ("a 5 minute walk through tokyo", "5 minute walk"),
        ("an 8 hour shift in a busy kitchen", "8 hour shift"),
        ("a 3 hour hike up a volcano, vertical", "3 hour hike"),
    ],
)
def test_the_only_length_said_of_a_thing_no_video_could_last_stays_with_the_thing(request_text: str, kept: str) -> None:
    stated = extract_requirements(request_text)
    assert stated.total_duration_s is None and kept in (stated.subject or "")
    planned = plan_video(request_text, stated, None)
    assert planned.plan.total_duration_s == 8.0 and kept in planned.plan.shots[0].prompt
    assert "is how long what it shows lasts" in planned.planner.note


@pytest.mark.parametrize(
    ("request_text", "seconds"),
    [
        ("a 10 second sunset timelapse", 10),
        ("a 1 minute timelapse of clouds", 60),
        ("a 30 second walk through a market", 30),
        ("a 10 minute video of the ocean", 600),
        ("10 hours of rain", 36000),
        ("zehn Minuten Regen", 600),
        ("a 10 minute tutorial on tying knots", 600),
    ],
)
def test_a_length_a_video_could_last_or_said_of_the_video_is_the_videos(request_text: str, seconds: float) -> None:
    assert extract_requirements(request_text).total_duration_s == seconds


@pytest.mark.parametrize(
    ("request_text", "seconds"),
    [
        (".5 minutes of rain", 30),
        ("1/2 minute of rain", 30),
        ("3/4 of a minute of rain", 45),
        ("1 1/2 minutes of rain", 90),
        ("1½ minutes of rain", 90),
        ("½ minute of rain", 30),
        ("1:30 of rain", 90),
        ("a 0:45 clip of rain", 45),
    ],
)
def test_fractions_and_timecodes_are_lengths(request_text: str, seconds: float) -> None:
    stated = extract_requirements(request_text)
    assert stated.total_duration_s == seconds
    assert stated.subject == "rain"


def test_a_time_of_day_is_not_a_length() -> None:
    stated = extract_requirements("a sunrise at 5:30, 10 seconds, 9:16")
    assert (stated.total_duration_s, stated.aspect, stated.subject) == (10, "9:16", "a sunrise at 5:30")


@pytest.mark.parametrize("text", ["nan seconds of a cat", "a video of inf seconds", "1e400 seconds of a dog", "infinite minutes of waves"])
def test_a_length_that_is_no_number_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(BadRequest, match="not a length"):
        extract_requirements(text)


@pytest.mark.parametrize(
    ("request_text", "aspect"),
    [
        ("a yt shorts clip of a cat", "9:16"),
        ("for my reels: coffee pouring", "9:16"),
        ("tiktok of a dance", "9:16"),
        ("insta story of a sunset", "9:16"),
        ("a youtube video about bread", "16:9"),
        ("an instagram post of sneakers", "1:1"),
        ("vidéo carrée d'un macaron", "1:1"),
        ("uno short per youtube di una moka", "9:16"),
    ],
)
def test_platforms_imply_a_frame_shape(request_text: str, aspect: str) -> None:
    assert extract_requirements(request_text).aspect == aspect


@pytest.mark.parametrize(
    ("request_text", "aspect"),
    [
        ("a man talking on the phone in a cafe", None),
        ("a woman on a phone call at night", None),
        ("a cat video to watch on the phone", "9:16"),
        ("a dog video for phones", "9:16"),
    ],
)
def test_a_phone_in_the_picture_is_not_where_the_video_plays(request_text: str, aspect: str | None) -> None:
    stated = extract_requirements(request_text)
    assert stated.aspect == aspect
    if aspect is None:
        assert "phone" in (stated.subject or "")


@pytest.mark.parametrize(
    ("request_text", "shots"),
    [
        ("single continuous shot of a drone over a forest", 1),
        ("one take of a skater", 1),
        ("shots: 1) a baker 2) bread in the oven 3) a family eating", 3),
        ("first a sunrise, then a fisherman casting a net, and finally boats at dusk", 3),
        ("first shot a kid opening a present, second shot a puppy in the box", 2),
    ],
)
def test_the_shot_structure_people_state_is_read(request_text: str, shots: int) -> None:
    assert extract_requirements(request_text).shot_count == shots


def test_instructions_never_stay_in_the_subject() -> None:
    stated = extract_requirements("can u make a vid of my dog in one minute with calm narration for tiktok, no music pls")
    assert stated.subject == "my dog"
    assert (stated.total_duration_s, stated.narration, stated.music, stated.aspect) == (60, True, False, "9:16")


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("gimme a 25 sec reel of foxes playing in the snow", "foxes playing in the snow"),
        ("i wanna see a video about whales, 20 seconds", "whales"),
        ("can i get a 10 second clip of a sunset", "a sunset"),
        ("video vertical de 40 segundos sobre café de especialidad", "café de especialidad"),
        ("hazme un video de 20 segundos sobre las olas del mar", "las olas del mar"),
        ("fais-moi une vidéo de 10 secondes sur la tour eiffel", "la tour eiffel"),
    ],
)
def test_slang_and_other_languages_ask_without_leaving_words_in_the_subject(text: str, subject: str) -> None:
    assert extract_requirements(text).subject == subject


def test_emoji_stand_for_the_words_they_replace() -> None:
    assert "fox" in extract_requirements("a 🦊 running in the snow").subject


@pytest.mark.parametrize(
    "text", ["-5 seconds of a dog", "a clip of -10 s", "a video lasting minus 4 seconds of cats", "menos 5 segundos de olas"]
)
def test_a_negative_length_is_refused(text: str) -> None:
    with pytest.raises(BadRequest, match="negative"):
        extract_requirements(text)


@pytest.mark.parametrize(
    ("request_text", "subject"),
    [
        ("dogs", "dogs"),
        ("buildings at night", "buildings at night"),
        ("creamy soup", "creamy soup"),
        ("showers of rain", "showers of rain"),
    ],
)
def test_a_subject_that_begins_like_an_ask_keeps_its_first_word(request_text: str, subject: str) -> None:
    """ "do", "build", "crea", "show" ask for a video only as whole words: "dogs" is not "gs"."""
    assert extract_requirements(request_text).subject == subject


@pytest.mark.parametrize(
    "request_text",
    [
        "a cat on a sofa, no music or voiceover",
        "a dog in the park without any music or narration",
        "waves at night without narration and music",
        "a forest at dawn, music and narration off",
        "no voiceover nor music, just a candle burning",
    ],
)
def test_one_negation_turns_off_every_sound_it_lists(request_text: str) -> None:
    stated = extract_requirements(request_text)
    assert (stated.narration, stated.music) == (False, False)
    assert not {"music", "narration", "voiceover"} & set((stated.subject or "").split())


@pytest.mark.parametrize(
    ("request_text", "narration", "subject_word"),
    [
        ("a documentary about the silent film era", None, "silent"),
        ("a cat silently stalking a mouse", None, "silently"),
        ("a silent 10 second video of a dog", False, "dog"),
        ("a dog asleep by the fire, silent", False, "dog"),
        ("a candle burning, make it silent", False, "candle"),
    ],
)
def test_silent_is_a_setting_only_when_said_of_the_video(request_text: str, narration: bool | None, subject_word: str) -> None:
    stated = extract_requirements(request_text)
    assert stated.narration is narration
    assert subject_word in (stated.subject or "")


@pytest.mark.parametrize(
    ("request_text", "music", "prompt"),
    [
        ("a cat by a window, music off", False, None),
        ("a rainy window with soft acoustic guitar music", True, "soft acoustic guitar"),
        ("a girl studying at night, lofi beats", True, "lofi beats"),
        ("a girl studying at night with lofi beats", True, "lofi beats"),
        ("a sunset over the sea, no words, just music", True, None),
        ("a montage of dogs set to upbeat music", True, "upbeat"),
    ],
)
def test_music_is_read_however_it_is_described(request_text: str, music: bool, prompt: str | None) -> None:
    stated = extract_requirements(request_text)
    assert (stated.music, stated.music_prompt) == (music, prompt)


@pytest.mark.parametrize(
    ("request_text", "subject"),
    [
        ("a band playing music on stage", "a band playing music on stage"),
        ("kids dancing to music in the street", "kids dancing to music in the street"),
        ("a crowd at a music festival", "a crowd at a music festival"),
        ("a dog with calm narration", "a dog"),
        ("a dog without music", "a dog"),
    ],
)
def test_music_and_narration_words_in_what_the_video_shows_stay_in_the_subject(request_text: str, subject: str) -> None:
    assert extract_requirements(request_text).subject == subject


@pytest.mark.parametrize(
    ("request_text", "style", "subject"),
    [
        ("a hair style tutorial", None, "a hair style tutorial"),
        ("a family style dinner on a terrace", None, "a family style dinner on a terrace"),
        ("a gangnam style dance in a park", None, "a gangnam style dance in a park"),
        ("a city at night, 8-bit pixel art style", "8-bit pixel art", "a city at night"),
        ("an anime style fox running", "anime", "a fox running"),
        ("a fox in the snow, noir style", "noir", "a fox in the snow"),
        ("a kitchen in french style", "french", "a kitchen"),
    ],
)
def test_a_style_is_read_only_where_it_is_a_setting(request_text: str, style: str | None, subject: str) -> None:
    stated = extract_requirements(request_text)
    assert (stated.style, stated.subject) == (style, subject)


@pytest.mark.parametrize(
    "request_text",
    [
        "times square at night",
        "a square in rome at dawn",
        "a gymnast on the horizontal bar",
        "a landscape painter at work",
        "a vertical garden on a wall",
        "an upright piano in a hall",
        "a portrait of the dog",
    ],
)
def test_a_shape_word_in_what_the_video_shows_is_not_the_frame(request_text: str) -> None:
    stated = extract_requirements(request_text)
    assert stated.aspect is None
    assert stated.subject == request_text


@pytest.mark.parametrize(
    ("request_text", "aspect"),
    [
        ("a square 10 second clip of a cat", "1:1"),
        ("a neon sign in the rain, 6 seconds, square", "1:1"),
        ("a 10 second vertical video of a cat", "9:16"),
        ("in landscape, a dog on a beach", "16:9"),
        ("a dog on a beach, horizontal please", "16:9"),
        ("make it vertical", "9:16"),
        ("a cat in widescreen", "16:9"),
    ],
)
def test_a_shape_word_said_of_the_video_sets_the_frame(request_text: str, aspect: str) -> None:
    assert extract_requirements(request_text).aspect == aspect


@pytest.mark.parametrize(
    ("request_text", "aspect"),
    [
        ("a 4:5 video of a cat", "1:1"),
        ("a cat on a sofa, 4:3", "16:9"),
        ("a 2.35:1 film of a desert", "16:9"),
        ("a 21:9 shot of a desert", "16:9"),
        ("1080x1920 video of a cat", "9:16"),
        ("a dog, 1920 x 1080", "16:9"),
        ("a 2:3 clip of a tower", "9:16"),
    ],
)
def test_a_ratio_we_do_not_make_is_made_in_the_closest_shape(request_text: str, aspect: str) -> None:
    stated = extract_requirements(request_text)
    assert stated.aspect == aspect
    assert stated.shot_count is None
    assert not re.search(r"\d", stated.subject or "")


def test_a_time_of_day_is_not_a_ratio() -> None:
    assert extract_requirements("a cafe opening at 10:10, 8 seconds").aspect is None


@pytest.mark.parametrize(
    ("request_text", "shots", "per_shot"),
    [
        ("a 360 shot of a car", None, None),
        ("a 3 shot video of a dog", 3, None),
        ("three 4-second shots of a kettle", 3, 4),
        ("3 five second shots of a dog", 3, 5),
        ("a dog in 1 shot", 1, None),
    ],
)
def test_a_number_before_shot_is_a_count_only_when_it_counts_shots(request_text: str, shots: int | None, per_shot: float | None) -> None:
    stated = extract_requirements(request_text)
    assert (stated.shot_count, stated.shot_duration_s) == (shots, per_shot)


@pytest.mark.parametrize(
    ("request_text", "shots"),
    [
        ("first a sunrise, next a fisherman, lastly boats at dusk", ("a sunrise", "a fisherman", "boats at dusk")),
        (
            "start with a kettle boiling, cut to tea being poured, end on a cup steaming",
            ("a kettle boiling", "tea being poured", "a cup steaming"),
        ),
        ("a) a kettle b) a teapot c) a cup", ("a kettle", "a teapot", "a cup")),
        ("(1) a kettle (2) a teapot", ("a kettle", "a teapot")),
        ("a seed -> a sprout -> a tree", ("a seed", "a sprout", "a tree")),
        ("growth, 12 seconds: a seed → a sprout → a tree", ("a seed", "a sprout", "a tree")),
        ("2 shots: a kettle and a teapot", ("a kettle", "a teapot")),
        ("three 4-second shots: a kettle, a teapot, a cup", ("a kettle", "a teapot", "a cup")),
    ],
)
def test_every_way_of_listing_shots_gives_one_shot_per_item(request_text: str, shots: tuple[str, ...]) -> None:
    stated = extract_requirements(request_text)
    assert (stated.shots, stated.shot_count) == (shots, len(shots))
    assert stated.subject is None or stated.subject.isalpha()


@pytest.mark.parametrize("request_text", ["a fox at dawn, then at dusk", "a baby's first steps", "a cat and a dog playing, 2 shots"])
def test_words_of_order_inside_one_subject_are_not_a_list(request_text: str) -> None:
    assert extract_requirements(request_text).shots is None


def test_typos_of_setting_words_are_read_as_meant() -> None:
    stated = extract_requirements("verticle video of a cat with femal narator in spansih, 3 shrots, 10 secconds")
    assert (stated.aspect, stated.narration, stated.voice_gender, stated.language) == ("9:16", True, "female", "es")
    assert (stated.shot_count, stated.total_duration_s, stated.subject) == (3, 10, "a cat")


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("a sqaure clip of a dog, no musci", {"aspect": "1:1", "music": False}),
        ("a widescren video of a lake, 2 minuts, with naration", {"aspect": "16:9", "total_duration_s": 120, "narration": True}),
        ("germna narration of a castle", {"language": "de", "narration": True}),
        ("a fox in the snow, 12 secs", {"total_duration_s": 12}),
    ],
)
def test_a_typo_is_read_as_the_setting_it_is_one_slip_from(request_text: str, expected: dict) -> None:
    stated = extract_requirements(request_text).model_dump(exclude_none=True)
    assert {key: stated.get(key) for key in expected} == expected


@pytest.mark.parametrize(
    ("request_text", "kept"),
    [
        ("a narrative about a castle in russia", "a narrative about a castle in russia"),
        ("a musk ox in the snow", "a musk ox in the snow"),
        ("a squire polishing armour", "a squire polishing armour"),
        ("three spots of light on a wall", "three spots of light on a wall"),
    ],
)
def test_real_words_near_a_setting_word_are_not_corrected(request_text: str, kept: str) -> None:
    stated = extract_requirements(request_text)
    assert stated.subject == kept
    assert (stated.language, stated.narration, stated.music, stated.shot_count) == (None, None, None, None)


@pytest.mark.parametrize(
    ("request_text", "subject"),
    [
        ("a little girl dancing in the rain", "a little girl dancing in the rain"),
        ("a cute cat playing with yarn, 8 seconds", "a cute cat playing with yarn"),
        ("make a small boat at sea", "a small boat at sea"),
        ("a short video of a small boat at sea", "a small boat at sea"),
        ("a clipboard on a desk", "a clipboard on a desk"),
        ("an anime style owl", "an owl"),
        ("an 8 second clip of an owl", "an owl"),
    ],
)
def test_the_subjects_own_article_and_adjectives_are_kept(request_text: str, subject: str) -> None:
    """Only the video's own words go ("a short video of"); "a little girl" is not "girl"."""
    assert extract_requirements(request_text).subject == subject


@pytest.mark.parametrize(
    ("request_text", "subject"),
    [
        ("3 shorts for youtube", None),
        ("two tiktoks", None),
        ("3 shorts for youtube about cooking pasta", "cooking pasta"),
        ("two tiktoks about cats", "cats"),
        ("5 videos of a waterfall", "a waterfall"),
        ("make 3 reels of my dog", "my dog"),
    ],
)
def test_a_count_of_videos_is_neither_the_subject_nor_a_shot_count(request_text: str, subject: str | None) -> None:
    stated = extract_requirements(request_text)
    assert (stated.subject, stated.shot_count) == (subject, None)


@pytest.mark.parametrize(
    ("request_text", "subject"),
    [
        ("a silent film about a clown", "a clown"),
        ("a silent movie of a cat chasing a mouse, 12 seconds", "a cat chasing a mouse"),
        ("a clown juggling, silent film style", "a clown juggling"),
        ("like an old silent film: a man slipping on a banana peel", "a man slipping on a banana peel"),
        ("make me a black-and-white silent picture about a train robbery", "a train robbery"),
    ],
)
def test_a_silent_film_has_no_narrator_a_piano_and_the_look_of_one(request_text: str, subject: str) -> None:
    stated = extract_requirements(request_text)
    assert (stated.subject, stated.narration, stated.style) == (subject, False, "black and white silent film")
    assert stated.music is True and "piano" in (stated.music_prompt or "")


@pytest.mark.parametrize(
    "request_text",
    [
        "a documentary about the silent film era",
        "the history of silent film",
        "a silent film star on a red carpet",
        "a video about silent films",
    ],
)
def test_silent_film_as_a_subject_is_narrated_as_usual(request_text: str) -> None:
    stated = extract_requirements(request_text)
    assert stated.narration is None and stated.style is None and "silent film" in (stated.subject or "")


def test_what_a_silent_film_request_says_of_its_sound_wins() -> None:
    stated = extract_requirements("a silent film about a clown, with narration and no music")
    assert (stated.narration, stated.music, stated.style) == (True, False, "black and white silent film")


@pytest.mark.parametrize(
    ("request_text", "subject"),
    [
        ("now a video of a red kite over the sea", "a red kite over the sea"),
        ("ok so a video of a cat", "a cat"),
        ("and now make a video of dogs", "dogs"),
        ("next, a clip of rain on a window", "rain on a window"),
        ("great, now a video about bread", "bread"),
        ("next to the river, a cabin", "next to the river, a cabin"),
    ],
)
def test_a_request_that_opens_like_a_turn_of_conversation_keeps_only_its_subject(request_text: str, subject: str) -> None:
    assert extract_requirements(request_text).subject == subject

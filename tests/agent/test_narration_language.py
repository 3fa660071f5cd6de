"""The narration's language: asked for in any of the ways people ask, read from the language a request is typed
in, and the lines code writes are in it."""

import random
import re

import pytest

from reelwright.agent.line_templates import FRAMES
from reelwright.agent.planner import plan_video
from reelwright.agent.requirements import extract_requirements


def planned(text: str):
    return plan_video(text, extract_requirements(text), None, rng=random.Random(4))


#: Words of the English template lines: none may appear in a line written in another language.
ENGLISH_FRAMES = re.compile(r"\b(?:Meet|Look|closer|Stay with|Take in|One last look|Another look|up close|This is)\b")


@pytest.mark.parametrize(
    ("text", "language", "subject"),
    [
        ("auf Deutsch erzählt: ein Hund im Park", "de", "ein Hund im Park"),
        ("a cat, en français s'il vous plaît", "fr", "a cat"),
        ("narración en español, un perro", "es", "un perro"),
        ("a windmill, in het Nederlands", "nl", "a windmill"),
        ("a fox in the snow, voix off française", "fr", "a fox in the snow"),
        ("ein Hund am Strand, deutscher Sprecher", "de", "ein Hund am Strand"),
        ("narrado en español: un gato en la ventana", "es", "un gato en la ventana"),
        ("a lighthouse, narrato in italiano", "it", "a lighthouse"),
        ("a market at dawn with portuguese narration", "pt", "a market at dawn"),
        ("a castle on a hill, narrated in French", "fr", "a castle on a hill"),
        ("a temple, narración en japonés", "ja", "a temple"),
    ],
)
def test_a_language_asked_for_in_any_language_is_the_narrations_and_leaves_the_subject(text: str, language: str, subject: str) -> None:
    stated = extract_requirements(text)
    assert (stated.language, stated.subject) == (language, subject)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("un chat qui dort au soleil", "fr"),
        ("une voiture rouge roule dans la nuit, 12 secondes", "fr"),
        ("un perro corriendo en la playa", "es"),
        ("la lluvia cae sobre la ciudad, vertical", "es"),
        ("ein Hund spielt im Park", "de"),
        ("una ragazza che balla sotto la pioggia", "it"),
        ("um menino jogando futebol na rua", "pt"),
        ("een kat die slaapt op de bank", "nl"),
        ("猫が寝ている動画", "ja"),
        ("一只猫在睡觉的视频", "zh"),
        ("고양이가 자는 영상", "ko"),
    ],
)
def test_a_request_typed_in_a_language_is_narrated_in_it(text: str, language: str) -> None:
    assert extract_requirements(text).language == language


@pytest.mark.parametrize(
    "text",
    [
        "a cat sleeping in the sun",
        "el niño weather pattern explained",
        "a café in paris at night",
        "la tour eiffel at night",
        "a man in a sombrero eating tacos",
        "pão de queijo being baked",
        "la la land style dance",
        "un chat",
        "pan de muerto being baked for dia de los muertos",
        "a taco truck in la ciudad de mexico at night",
        "la vie en rose playing in a paris cafe",
        "the making of pão de queijo in a small kitchen",
    ],
)
def test_english_with_foreign_words_or_too_few_words_to_tell_sets_no_language(text: str) -> None:
    assert extract_requirements(text).language is None


def test_a_face_says_its_words_in_the_language_they_are_written_in() -> None:
    stated = extract_requirements('make her say: "Bienvenue sur ma chaîne, aujourd\'hui on cuisine des crêpes"')
    assert stated.talking and stated.language == "fr"


@pytest.mark.parametrize(
    ("text", "language", "words"),
    [
        ("un chat qui dort au soleil, 16 secondes, 4 plans", "fr", "un chat"),
        ("un perro corriendo en la playa, 16 segundos, 4 tomas", "es", "un perro"),
        ("ein Hund spielt im Park, 16 Sekunden, 4 Szenen", "de", "ein hund"),
        ("una gondola a venezia al tramonto, 16 secondi, 4 inquadrature", "it", "una gondola"),
        ("um menino jogando futebol na rua, 16 segundos, 4 cenas", "pt", "um menino"),
        ("een kat die slaapt op de bank, 16 seconden, 4 shots", "nl", "een kat"),
    ],
)
def test_template_lines_are_written_in_the_requests_language(text: str, language: str, words: str) -> None:
    result = planned(text)
    plan = result.plan
    lines = [shot.narration for shot in plan.shots]
    assert plan.language == language and len(plan.shots) == 4
    assert not any(ENGLISH_FRAMES.search(line) for line in lines), lines
    assert len(set(lines)) == len(lines)
    assert words in lines[0].lower() and words in lines[-1].lower(), lines
    assert result.planner.note is None  # nothing said in another language, nothing to explain


def test_an_english_subject_in_a_french_plan_is_said_as_typed_and_the_note_says_so() -> None:
    result = planned("a cat sleeping on a windowsill, narrated in French, 12 seconds")
    lines = [shot.narration for shot in result.plan.shots]
    assert lines[0] == "Voici « a cat sleeping on a windowsill »."
    assert not any(ENGLISH_FRAMES.search(line.replace("a cat sleeping on a windowsill", "")) for line in lines)
    assert "French" in result.planner.note and '"a cat sleeping on a windowsill"' in result.planner.note


@pytest.mark.parametrize("language", sorted(FRAMES))
def test_every_language_has_lines_for_a_video_of_the_most_shots_none_said_twice(language: str) -> None:
    frames = FRAMES[language]
    assert len(set(frames.plain)) >= 12 and len(set(frames.middle)) == len(frames.middle)
    plan = plan_video("x", extract_requirements("a fox, 24 seconds, 12 shots").model_copy(update={"language": language}), None).plan
    assert len({shot.narration for shot in plan.shots}) == 12


def test_a_language_code_writes_no_lines_in_keeps_english_lines_and_says_so() -> None:
    result = planned("a fox in the snow, narrated in Polish")
    assert result.plan.language == "pl"
    assert "English" in result.planner.note and "Polish" in result.planner.note


@pytest.mark.parametrize(
    ("text", "seconds", "subject"),
    [
        ("10秒の猫の動画", 10, "猫"),
        ("10 秒の猫の動画", 10, "猫"),
        ("10초 고양이 영상", 10, "고양이"),
        ("一只猫在睡觉的视频，10秒", 10, "一只猫在睡觉"),
        ("1分钟的熊猫视频", 60, "熊猫"),
    ],
)
def test_lengths_in_japanese_chinese_and_korean(text: str, seconds: float, subject: str) -> None:
    stated = extract_requirements(text)
    assert (stated.total_duration_s, stated.subject) == (seconds, subject)


@pytest.mark.parametrize(
    ("text", "seconds", "subject"),
    [
        ("eine halbe Minute über einen Zug in den Alpen", 30, "ein Zug in den Alpen"),
        ("une demi-heure de pluie", 1800, "pluie"),
        ("ein 15 sekunden video von einem fuchs im winterwald", 15, "ein fuchs im winterwald"),
    ],
)
def test_a_length_keeps_its_article_and_the_subject_its_own(text: str, seconds: float, subject: str) -> None:
    stated = extract_requirements(text)
    assert (stated.total_duration_s, stated.subject) == (seconds, subject)

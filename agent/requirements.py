"""What the person stated explicitly, pulled out of their words by code.

A small model gets stated facts wrong (durations, "no narration"), so the facts a person states are
extracted here and enforced on every plan and every edit, whatever the model produced.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from reelwright.agent.durations import find_durations, normalise, video_length
from reelwright.agent.language_guess import written_in
from reelwright.agent.shot_list import find_counted_list, find_shot_list
from reelwright.agent.talking import asks_to_speak, spoken_words, talking_topic
from reelwright.agent.voice_requests import same_accent, voice_ask
from reelwright.agent.wording import ARTICLE_NUMBERS, NUMBER_WORDS, closest, correct_typos, parse_number, plain_text
from reelwright.plan import MAX_SHOT_S, MIN_SHOT_S, Aspect, Music, Requirements, Shot, ShotPlan

_COUNT_WORDS = "|".join(sorted((w for w in NUMBER_WORDS if w not in ARTICLE_NUMBERS and NUMBER_WORDS[w] >= 1), key=len, reverse=True))
#: "5 shots", "three scenes", "three 4-second shots" (not "a 21:9 shot": its 9 is part of a ratio).
_SHOTS = re.compile(
    rf"(?<![\d:/.])\b(?P<count>\d+|{_COUNT_WORDS})\b\s*-?\s*(?:(?:\d+(?:\.\d+)?|{_COUNT_WORDS})\s*-?\s*(?:s|secs?|seconds?)\s*-?\s*)?"
    r"(?:separate\s+|different\s+|short\s+|quick\s+)?"
    r"(?P<noun>shots?|scenes?|clips?|cuts?|plans?|escenas?|szenen?|einstellungen|inquadrature|inquadratura|tomas|planos|sc[eè]nes|cenas)\b",
    re.I,
)
_ONE_OF = frozenset({"shot", "scene", "clip", "cut", "plan", "escena", "szene", "inquadratura"})
#: "a 3 shot video": a count said before the video's noun, in the singular.
_COUNTED_VIDEO = re.compile(r"\s+(?:video|vid|clip|film|sequence|montage|reel|edit|story|ad|promo|tiktok|short|trailer)s?\b", re.I)
_ONE_SHOT = re.compile(
    r"\b(?:(?:a\s+|one\s+|1\s+)?single(?:\s+continuous)?\s+(?:shot|take)|(?:in\s+)?one\s+(?:continuous\s+|long\s+|single\s+)?(?:shot|take)|"
    r"(?:a\s+|one\s+)?continuous\s+(?:shot|take)|(?:with\s+)?no\s+cuts|without\s+(?:any\s+)?cuts|uncut|a\s+oner|one-take|one-shot)\b",
    re.I,
)
#: "talking on the phone" is what someone in the picture does; "watch it on the phone" is where the video plays.
_ON_A_CALL = re.compile(r"on\s+(?:a|the)\s+(?:cell\s*|smart)?phone\b", re.I)
_WATCHED_ON = re.compile(
    r"\b(?:watch|view|see|play|show|look|post|share|display|fit|work)\w*(?:\s+(?:it|them|this|good|well|great|nice))?\s+$", re.I
)
_FRAME_NOUN = (
    r"(?:v[ií]d[eé]o|vid|clip|film|movie|format|mode|orientation|aspect|ratio|frame|version|crop|reel|short|edit|shot|cut|animation|"
    r"montage|post|story|tiktok|ad|promo|trailer|loop)s?"
)
_FRAME_ADJECTIVE = (
    r"(?:short|quick|little|small|cinematic|hd|4k|fun|cute|simple|nice|cool|new|ai|looping|animated|music|promo|slow[- ]motion|timelapse)"
)


def _as_setting(word: str) -> str:
    """``word`` (an orientation) where it sets the frame: "a vertical video", "in landscape", "make it square", "a cat, vertical",
    "square please" — not where it is part of what the video shows ("times square", "a landscape painter", "the horizontal bar")."""
    return (
        rf"\b{word}(?=(?:\s+{_FRAME_ADJECTIVE})*\s+{_FRAME_NOUN}\b)"
        rf"|\b(?:in|into|to|as|na|en|em|make\s+it|make\s+this|keep\s+it|have\s+it|it'?s|be|go|shot|filmed|framed|cropped|hazlo|ponlo)\s+(?:an?\s+)?{word}\b"
        rf"|\b{_FRAME_NOUN}\s+{word}\b"
        rf"|(?:^|(?<=[,;:(.!?]))\s*(?:(?:now|just|and|but|then|also|ok|okay)\s+)*{word}"
        r"(?:\s+(?:please|pls|plz|instead|now|too|then|thanks|thx|again|rather))*\s*(?=$|[,;.!?)])"
    )


#: Where a video will be watched decides its frame shape; the explicit ratio wins over a platform.
_ASPECTS: list[tuple[re.Pattern[str], Aspect]] = [
    (re.compile(r"\b9\s*[:x/]\s*16\b", re.I), "9:16"),
    (re.compile(r"\b1\s*[:x/]\s*1\b", re.I), "1:1"),
    (re.compile(r"\b16\s*[:x/]\s*9\b", re.I), "16:9"),
    (
        re.compile(
            _as_setting(r"(?:vertical(?:ly)?|upright|portrait)")
            + r"|\b(?:vertica(?:le|les|is)|vertikal\w*|hochformat|portrait\s+(?:mode|format|orientation|video|aspect)|"
            r"(?:for|on)\s+(?:a\s+|my\s+|the\s+)?(?:mobile|phones?|cell\s*phones?|smartphones?)|phone[- ](?:screen|format|sized?)|mobile[- ](?:format|friendly|first|screen)|"
            r"tik\s*-?\s*to[ck]k?|tiktoks?|tik\s+tok|(?:youtube|yt|you\s+tube)\s+shorts?|shorts?\s+(?:for|per|para|pour|f[uü]r|on)\s+(?:youtube|yt)|(?:for|as)\s+(?:a\s+)?shorts?\b|"
            r"reels|(?<!fishing )(?<!film )(?<!highlight )(?<!demo )(?<!blooper )(?<!sizzle )(?<!showreel )reel|"
            r"(?:insta(?:gram)?|ig|fb|facebook|snap(?:chat)?|whats\s*app)\s+(?:stor(?:y|ies)|status)|stories|snapchat|"
            r"(?:insta(?:gram)?|ig)\s+(?:vertical|reel)s?)\b",
            re.I,
        ),
        "9:16",
    ),
    (
        re.compile(
            _as_setting(r"(?<!times )(?<!town )(?<!city )(?<!village )(?<!market )(?<!public )(?<!main )square")
            + r"|\b(?:carr[ée]e?|cuadrad[oa]|quadrad[oa]|quadratisch|quadrat[oa]|(?:insta(?:gram)?|ig|fb|facebook)\s+(?:feed\s+)?posts?|feed\s+posts?|instagram\s+feed|carousel\s+post)\b",
            re.I,
        ),
        "1:1",
    ),
    (
        re.compile(
            _as_setting(r"(?:landscape|wide\s*screen|horizontal(?:ly)?)")
            + r"|\b(?:(?:youtube|yt|you\s+tube)(?!\s+shorts?)(?:\s+(?:video|channel|intro|outro))?|"
            r"(?:for|on)\s+(?:a\s+|the\s+)?(?:tv|television|desktop|laptop|big\s+screen)|cinema\s*scope)\b",
            re.I,
        ),
        "16:9",
    ),
]
#: Any frame shape written as a ratio or a frame size: "4:5", "2.35:1", "21:9", "1080x1920" (not a time: "at 10:10", "7:30 pm").
_RATIO = re.compile(
    r"(?<![\w.:/])(?<!at )(?<!by )(?<!until )(?<!from )(?<!since )(?<!before )(?<!after )(?<!around )"
    r"(?P<w>\d{1,2}(?:\.\d{1,2})?)\s*:\s*(?P<h>\d{1,2}(?:\.\d{1,2})?)(?![\w.:/])(?!\s*(?:am|pm|a\.m|p\.m|o'?clock|h)\b)"
    r"|(?<![\w.])(?P<pw>\d{3,4})\s*[x×]\s*(?P<ph>\d{3,4})p?(?![\w.])",
    re.I,
)
_SHAPES: dict[Aspect, float] = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0}


@dataclass(frozen=True)
class Ratio:
    """A frame shape as the person wrote it, the supported one it is made as, and where it was said."""

    written: str
    aspect: Aspect
    exact: bool
    start: int
    end: int


def stated_ratio(text: str) -> Ratio | None:
    """The first frame ratio or size in ``text``, as the closest supported shape ("4:5" -> 1:1, "1080x1920" -> 9:16)."""
    for match in _RATIO.finditer(text):
        width, height = (float(match.group(w) or match.group(p)) for w, p in (("w", "pw"), ("h", "ph")))
        if not height or not 0.4 <= width / height <= 2.5:
            continue
        distances = {aspect: round(abs(math.log(width / height / shape)), 4) for aspect, shape in _SHAPES.items()}
        aspect = min(distances, key=lambda a: (distances[a], a == "1:1"))  # 4:3 is as near 1:1 as 16:9; it is wide
        return Ratio(match.group(0), aspect, distances[aspect] < 0.01, *match.span())
    return None


def frame_note(request: str, aspect: Aspect) -> str | None:
    """What to tell a person whose ratio is not one we make ("4:5"), when the plan is made in its closest shape."""
    ratio = stated_ratio(normalise(plain_text(request)))
    if ratio is None or ratio.exact or ratio.aspect != aspect:
        return None
    return f"{ratio.written} is not a shape I can make: the video is {aspect}, the closest of 16:9, 9:16 and 1:1."


#: Platform names that say where, not what: never part of what a shot shows.
_PLATFORMS = re.compile(
    r"\b(?:(?:for|on|pour|para|per|f[uü]r)\s+(?:my\s+|the\s+|o\s+|la\s+|le\s+)?)?(?:instagram|insta|ig|facebook|fb|youtube|yt|tiktok|snapchat|whatsapp|linkedin|twitter|pinterest)\b",
    re.I,
)
_NARRATION_NOUN = r"(?:narration|narrator|voice[- ]?overs?|voiceovers?|narra[cç][aã]o|narraci[oó]n|narrazione|erz[aä]hler|sprecher|voz en off|voix off|voix-off|locu[cç][aã]o|locuci[oó]n)"
_MUSIC_NOUN = r"(?:music|soundtrack|musik|m[uú]sica|musique|musica)"
#: Ways of saying a sound should go: "no music", "get rid of the narration", "I don't want any ambience".
DROP_WORDS = r"(?:no|without|w/o|remove|drop|mute|kill|lose|skip|cut(?:\s+out)?|get\s+rid\s+of|take\s+out|turn\s+off|switch\s+off|disable|(?:i\s+)?(?:don'?t|do\s+not)\s+(?:want|need))"
#: The whole soundtrack off: "mute everything", "no sound at all", "without audio" (but "no sound effects" is ambience).
_SILENCE = (
    r"|\bmute\s+(?:everything|it\s+all|all\s+(?:the\s+)?(?:sounds?|audio))\b|\bsilence\s+(?:everything|it\s+all)\b"
    r"|\b(?:no|without(?:\s+any)?)\s+(?:sound|audio)\b(?!\s+effects?)(?:\s+at\s+all)?"
)
_NARRATION_WORDS = r"(?:narration|narrator|voice[- ]?overs?|vo|voice|speech|talking|words)"
#: "a silent clip", "make it silent", "…, silent": the video is silent, not "the silent film era" or "a cat silently stalking".
_SILENT = (
    r"\bsilent\s+(?:(?!film|movie|era)[\w-]+\s+){0,3}?(?:video|vid|clip|version|reel|short|edit)s?\b"
    r"|\b(?:make|keep|leave|have)\s+(?:it|this|the\s+video)\s+silent\b|\b(?:be|is|it'?s|stay)\s+silent\b"
    r"|(?:^|(?<=[,;:(]))\s*silent\s*(?=$|[,;.!?)])"
)
_NO_NARRATION = re.compile(
    r"\b" + DROP_WORDS + r"\s+(?:the\s+|any\s+)?" + _NARRATION_WORDS + r"\b"
    r"|\bnarration\s+off\b|"
    + _SILENT
    + r"|\bno one (?:talking|speaking)\b|\bno talking\b|\b(?:sans|sin|sem|senza|ohne)\s+(?:la\s+|a\s+|de\s+)?"
    + _NARRATION_NOUN
    + r"\b"
    + _SILENCE,
    re.I,
)
#: A word that describes a sound ("calm", "acoustic guitar"), not a link to what the video shows ("a dog with", "a band playing").
_DESCRIBING = (
    r"(?:(?!(?:with|without|w/o|no|not|of|and|or|in|on|for|to|by|from|at|about|while|"
    r"play(?:s|ing)?|listen(?:s|ing)?|danc(?:e|es|ing)|mak(?:es|ing)|perform(?:s|ing)|record(?:s|ing)|sing(?:s|ing)?)\b)[\w'-]+\s+)"
)
_NARRATION = re.compile(
    r"(?:(?<=[,;:])|^)\s*(?:(?:a|an|some|the|with|avec|con|com|mit)\s+)?" + _DESCRIBING + r"{0,3}?" + _NARRATION_NOUN + r"\b"
    r"|\b(?:avec|con|com|mit)\s+(?:une?\s+|la\s+|el\s+|a\s+|einem?\s+)?" + _NARRATION_NOUN + r"\b|\b" + _NARRATION_NOUN + r"\b"
    r"|\b(?:with|add|turn on|enable|put back|and)\s+(?:a\s+|an\s+|the\s+|some\s+)?(?:[\w-]+\s+){0,2}(?:narration|narrator|voice[- ]?overs?)\b"
    r"|\b(?:[\w-]+\s+){0,2}voice\s+narrating\b|\bnarrating\b|\bnarrated\b(?:\s+by\s+(?:a\s+|an\s+)?(?:[\w-]+\s+){0,2}(?:voice|narrator|man|woman|guy|girl|person))?|\bnarration\s+on\b|\bvoice[- ]?over\b"
    r"|\b(?:spoken|voiced)\s+(?:in|by|with)\b",
    re.I,
)
_MUSIC_WORDS = r"(?:(?:background\s+)?(?:music|soundtrack|songs?))"
_AMBIENCE_WORDS = r"(?:ambien(?:ce|t\s+sounds?)|sound\s+effects?|sfx|background\s+(?:noise|sounds?))"
_SOUND = rf"(?:{_NARRATION_WORDS}|{_MUSIC_WORDS}|{_AMBIENCE_WORDS})"
_AND_OR = r"\s*,?\s*(?:or|nor|and|&|/)\s*"
#: One negation over a list of sounds: "no music or voiceover", "without narration and music", "music and narration off".
_SOUNDS_DROPPED = re.compile(
    rf"\b(?:{DROP_WORDS}|sans|sin|sem|senza|ohne)\s+(?:the\s+|any\s+)?(?P<listed>{_SOUND}(?:{_AND_OR}(?:the\s+|any\s+|no\s+)?{_SOUND})+)\b"
    rf"|\b(?P<off>{_SOUND}(?:(?:{_AND_OR}|\s*,\s*)(?:the\s+)?{_SOUND})*)\s+off\b(?!\s*-|\s+(?:camera|screen|stage)\b)",
    re.I,
)
_NO_MUSIC = re.compile(
    r"\b(?:"
    + DROP_WORDS[3:-1]
    + r"|sans|sin|sem|senza|ohne)\s+(?:the\s+|any\s+|de\s+|la\s+|a\s+)?(?:background\s+)?(?:"
    + _MUSIC_NOUN[3:-1]
    + r"|song)\b"
    + _SILENCE,
    re.I,
)
_MUSIC = re.compile(
    r"(?:\b(?:with|add|and|plus|over|(?<!dance )(?<!dancing )(?<!dances )(?<!listen )(?<!listening )(?<!listens )(?:(?:set|put|edited|cut|synced|timed)\s+)?to|avec|con|com|mit)\s+|(?<=[,;])\s*|^\s*)"
    r"(?:a\s+|an\s+|some\s+|the\s+|de\s+la\s+|de\s+|della\s+|m[uú]sica|)?"
    + _DESCRIBING
    + r"{0,3}(?:"
    + _MUSIC_NOUN[3:-1]
    + r"|beats?|score|song|tune)\b"
    # A music video, a song's subject ("a song about the sea"), "songs of" and a music festival are what the video is about, not a bed.
    r"(?!\s+(?:videos?|clips?|about|of|festivals?|box(?:es)?|school|class|lessons?|teacher|store|shop|studio|hall|notes?|sheets?|stand|"
    r"player|producer|industry|room|instruments?|lovers?|fans?)\b)(?:\s+(?:douce|suave|tranquila|calma|leggera|ruhige|sanfte))?",
    re.I,
)
#: "change the music to jazz", "music: calm piano", "the music should be more upbeat".
_MUSIC_IS = re.compile(
    r"\b(?:music|soundtrack|song)\s*(?::|=|\bto\b|\binto\b|\bshould be\b)\s*(?:a\s+|an\s+|some\s+|more\s+)?(?P<what>[\w' -]{2,60}?)\s*(?:music|track|song)?\s*(?=$|[,.;!?]|\band\b|\bwith\b|\bin\b)",
    re.I,
)
_MUSIC_WORDS_DROPPED = re.compile(
    r"\b(?:with|add|and|plus|over|to|avec|con|com|mit|a|an|some|the|background|bg|de|la|della|music|soundtrack|musik|m[uú]sica|musique|musica|"
    r"play(?:ing)?|nice|good|cool|little|bit|of|make|turn|set|change|put|keep|let|have|use|want|need|please|pls|lower|raise|it|its|this|that|"
    r"your|my|our|quieter|louder|softer|up|down|more|less|volume|level|songs?|tunes?|score|beats?|just|only|instead|also|too)\b",
    re.I,
)
_AMBIENCE_NOUN = r"(?:sounds?|noises?|ambien(?:ce|t(?:\s+sounds?)?)|soundscape|atmosphere|sfx|sound\s+effects?)"
#: "with the sound of rain", "rain sounds", "ambience of a busy cafe", "add city noise".
_AMBIENCE = re.compile(
    r"\b(?:(?:with|add|plus|and|over)\s+)?(?:the\s+|some\s+|an?\s+)?(?:sounds?|noises?|ambien(?:ce|t\s+sounds?))\s+of\s+(?:an?\s+|the\s+|some\s+)?(?P<of>[\w' -]{2,40}?)(?=$|[,.;!?]|\band\b|\bwith\b|\bin\b|\bto\b|\bon\b)"
    r"|\b(?:(?:with|add|plus|and|over)\s+)?(?:the\s+|some\s+)?(?P<what>(?!(?:no|any|the|with|add|and|plus|over|sound|background)\b)[\w'-]+(?:\s+(?!(?:no|any|with|add|and|plus|over|background)\b)[\w'-]+)?)\s+"
    + _AMBIENCE_NOUN
    + r"\b"
    r"|\b(?:with|add|plus|put|lay|play)\s+(?:the\s+|some\s+|a\s+bit\s+of\s+)?(?P<bare>birdsong|bird\s*song|birds\s+chirping|chirping\s+birds|"
    r"crickets(?:\s+chirping)?|rainfall|thunder(?:storm)?|crowd\s+chatter|chatter|waves\s+crashing|crashing\s+waves|traffic|wind\s+howling)\b",
    re.I,
)
#: "make it sound like a busy cafe", "a street that sounds like heavy rain".
_SOUNDS_LIKE = re.compile(r"\bsounds?\s+like\s+(?:an?\s+|the\s+)?(?P<like>[\w' -]{2,40}?)\s*(?=$|[,.;!?]|\band\b|\bwith\b)", re.I)
#: Words that show a match is a sentence about sound ("a video that sounds epic", "make it sound like"), not a sound.
_NOT_A_SOUND = re.compile(
    r"\d|\b(?:it|its|to|the|a|an|about|video|clip|film|shot|scene|make|makes|made|making|that|this|which|what|who|how|of|"
    r"and|with|more|less|like|would|should|can|could|will|be|is|are|so|very|really|too|my|your|our|their|explaining|"
    r"listening|hear|hearing|background|sound|music|voice|narration|narrator|speech|no|any|pollution|waves? travel)\b",
    re.I,
)
NO_AMBIENCE = re.compile(
    r"\b"
    + DROP_WORDS
    + r"\s+(?:the\s+|any\s+)?(?:background\s+)?(?:ambien(?:ce|t\s+sounds?)|sound\s+effects?|sfx|background\s+(?:noise|sounds?)|noise|soundscape)\b"
    r"|\b(?:remove|drop|mute|kill|lose|skip|get\s+rid\s+of|take\s+out)\s+(?:the\s+|any\s+)?(?!music\b|voice\b)[\w-]+(?:\s+[\w-]+)?\s+(?:sounds?|noises?|ambience)\b"
    + _SILENCE,
    re.I,
)
#: Language names, in English and in their own words, to ISO 639-1.
_LANGUAGES = {
    "english": "en",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "castellano": "es",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "german": "de",
    "deutsch": "de",
    "italian": "it",
    "italiano": "it",
    "portuguese": "pt",
    "português": "pt",
    "portugues": "pt",
    "dutch": "nl",
    "nederlands": "nl",
    "polish": "pl",
    "polski": "pl",
    "turkish": "tr",
    "türkçe": "tr",
    "russian": "ru",
    "czech": "cs",
    "arabic": "ar",
    "chinese": "zh",
    "mandarin": "zh",
    "japanese": "ja",
    "日本語": "ja",
    "korean": "ko",
    "hindi": "hi",
    "hungarian": "hu",
    "swedish": "sv",
    "danish": "da",
    "finnish": "fi",
    "norwegian": "no",
    "greek": "el",
    "ukrainian": "uk",
    "vietnamese": "vi",
    "indonesian": "id",
    # Languages as other languages name them: "narración en inglés", "auf Französisch", "in het Engels".
    "inglés": "en",
    "ingles": "en",
    "anglais": "en",
    "englisch": "en",
    "inglese": "en",
    "inglês": "en",
    "engels": "en",
    "francés": "fr",
    "französisch": "fr",
    "francese": "fr",
    "francês": "fr",
    "frans": "fr",
    "espagnol": "es",
    "spanisch": "es",
    "spagnolo": "es",
    "espanhol": "es",
    "spaans": "es",
    "allemand": "de",
    "alemán": "de",
    "aleman": "de",
    "tedesco": "de",
    "alemão": "de",
    "duits": "de",
    "italien": "it",
    "italienisch": "it",
    "italiaans": "it",
    "portugais": "pt",
    "portugiesisch": "pt",
    "portoghese": "pt",
    "portugués": "pt",
    "portugees": "pt",
    "néerlandais": "nl",
    "niederländisch": "nl",
    "holandés": "nl",
    "olandese": "nl",
    "holandês": "nl",
    "japonais": "ja",
    "japonés": "ja",
    "japanisch": "ja",
    "giapponese": "ja",
    "japonês": "ja",
    "chinois": "zh",
    "chinesisch": "zh",
    "cinese": "zh",
    "chinês": "zh",
    "中文": "zh",
    "한국어": "ko",
    "coréen": "ko",
    "coreano": "ko",
    "koreanisch": "ko",
    "russe": "ru",
    "ruso": "ru",
    "russisch": "ru",
    "russo": "ru",
}
#: Languages as adjectives said of the narration: "narración española", "voix off française", "deutscher Sprecher".
_LANGUAGE_ADJECTIVES = {
    **{form: "en" for form in ("english", "inglesa", "anglaise", "englische", "englischer", "englischen", "engelse")},
    **{form: "fr" for form in ("french", "française", "francaise", "francesa", "französische", "französischer", "franse")},
    **{form: "es" for form in ("spanish", "española", "espanola", "espagnole", "spanische", "spanischer", "spagnola", "spaanse")},
    **{form: "de" for form in ("german", "alemana", "deutsche", "deutscher", "deutschen", "tedesca", "alemã", "duitse")},
    **{form: "it" for form in ("italian", "italiana", "italienne", "italienische", "italienischer", "italiaanse")},
    **{form: "pt" for form in ("portuguese", "portuguesa", "brasileira", "brasileña", "portugaise", "portugiesische")},
    **{form: "nl" for form in ("dutch", "nederlandse", "neerlandesa", "holandesa", "niederländische")},
}
#: ISO 639-1 code -> the language's English name, for prompts and messages.
LANGUAGE_NAMES = {code: name.capitalize() for name, code in reversed(list(_LANGUAGES.items())) if name.isascii()}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


_LANGUAGE_NAMES = "|".join(sorted((re.escape(name) for name in _LANGUAGES), key=len, reverse=True))
_LANGUAGE_ADJECTIVE_NAMES = "|".join(sorted((re.escape(name) for name in _LANGUAGE_ADJECTIVES), key=len, reverse=True))
#: "in", "en", "auf", "em", "in het": the word before a language that the narration is in.
_IN_LANGUAGE = r"(?:in|into|auf|en|em)(?:\s+het)?"
#: Told, narrated or spoken, in the languages people ask in: "auf Deutsch erzählt", "narrado en español".
_NARRATED_WORDS = (
    r"(?:narrated|told|spoken|voiced|erz[aä]hlt|gesprochen|vertont|narrad[oa]|contad[oa]|narr[ée]e?|racont[ée]e?|"
    r"narrat[oa]|raccontat[oa]|verteld|ingesproken|doblad[oa])"
)
#: Asking nicely, in those languages: "s'il vous plaît", "por favor", "bitte".
_PLEASE_WORDS = r"(?:please|pls|plz|s'il\s+(?:te|vous)\s+pla[iî]t|svp|por\s+favor|bitte|per\s+favore|alsjeblieft|alstublieft|graag)"
_ANY_NARRATION = rf"(?:{_NARRATION_NOUN[3:-1]}|voix|voz|voce|stimme|stem|verteller|erz[aä]hlung|sprecherin|erz[aä]hlerin|narrad(?:or|ora)|narrat(?:eur|rice|ore|rice))"
#: "in Spanish", "narrated in German", "auf Deutsch erzählt", "en español", "in het Nederlands", "with French narration",
#: "Spanish voiceover", "narración española", "deutscher Sprecher".
_LANGUAGE = re.compile(
    rf"\b{_IN_LANGUAGE}\s+(?P<a>"
    + _LANGUAGE_NAMES
    + r")\b(?:\s+"
    + _NARRATED_WORDS
    + r"\b)?(?=\s*(?:$|[,.;:!?)]|\b(?:and|with|please|pls|narration|voice|voice[- ]?over|audio|subtitles|"
    + _PLEASE_WORDS[3:-1]
    + "|"
    + _ANY_NARRATION[3:-1]
    + r")\b))"
    r"|\b(?P<b>" + _LANGUAGE_NAMES + r")\s+(?:narration|narrator|voice[- ]?over|voice|audio|speaker|language)\b"
    r"|\b(?:speak|speaks|speaking|say|said|narrate|"
    + _NARRATED_WORDS[3:-1]
    + rf")\s+(?:{_IN_LANGUAGE}\s+)?(?P<c>"
    + _LANGUAGE_NAMES
    + r")\b"
    # "a video in Portuguese about carnival": a video in a language is its narration's language.
    r"|\b(?:video|v[ií]d[eé]o|clip|film|filmpje|reel|explainer|version|short|vid)\s+"
    + _IN_LANGUAGE
    + r"\s+(?P<d>"
    + _LANGUAGE_NAMES
    + r")\b(?!\s+(?:style|food|cuisine|village|town|city)\b)"
    rf"|\b{_ANY_NARRATION}\s+(?P<e>{_LANGUAGE_ADJECTIVE_NAMES})\b"
    rf"|\b(?P<f>{_LANGUAGE_ADJECTIVE_NAMES})\s+{_ANY_NARRATION}\b",
    re.I,
)


def _stated_language(match: re.Match[str]) -> str:
    """The ISO 639-1 code a match of ``_LANGUAGE`` names."""
    if adjective := match.group("e") or match.group("f"):
        return _LANGUAGE_ADJECTIVES[adjective.lower()]
    return _LANGUAGES[(match.group("a") or match.group("b") or match.group("c") or match.group("d")).lower()]


#: "use the voice amy", "voice: en_US-amy-medium", "in my cloned voice", "with my voice".
_VOICE_NAME = re.compile(
    r"\b(?:use|with|using|in)\s+(?:the\s+)?voice\s*[:=]?\s*[\"'“]?(?P<name>[\w.:-]{2,80})[\"'”]?"
    r"|\bvoice\s*[:=]\s*[\"'“]?(?P<named>[\w.:-]{2,80})[\"'”]?"
    r"|\b(?:use|with|using|in)\s+my\s+(?:own\s+|cloned\s+)?voice(?:\s+[\"'“](?P<mine>[\w.:-]{1,80})[\"'”])?",
    re.I,
)
_VOICED_BY = r"\b(?:narrated|voiced|read|told|spoken)\s+by\s+(?:a\s+|an\s+)?(?:[\w-]+\s+)?"
_FEMALE = re.compile(
    r"\b(?:female|woman'?s?|women'?s?|feminine|girl'?s?|lady'?s?)\s+(?:[\w-]+\s+)?(?:voice|narrator|narration|voice[- ]?over)\b"
    + r"|"
    + _VOICED_BY
    + r"(?:woman|female|girl|lady)\b",
    re.I,
)
_MALE = re.compile(
    r"\b(?:male|man'?s?|men'?s?|masculine|guy'?s?|deep)\s+(?:[\w-]+\s+)?(?:voice|narrator|narration|voice[- ]?over)\b"
    + r"|"
    + _VOICED_BY
    + r"(?:man|male|guy|boy)\b",
    re.I,
)
_SLOWER = re.compile(
    r"\bslow(?:er)?\s+(?:voice|narration|narrator|speech|talking)\b|\b(?:speak|talk|narrate|read)s?\s+(?:more\s+)?slow(?:er|ly)?\b"
    r"|\b(?:not|don'?t|never)\s+(?:talk|speak|read|narrate)\s+(?:so|too)\s+(?:fast|quick(?:ly)?)\b|\bsay\s+(?:it|that)\s+(?:more\s+)?slow(?:er|ly)\b",
    re.I,
)
_FASTER = re.compile(
    r"\b(?:fast(?:er)?|quick(?:er)?)\s+(?:voice|narration|narrator|speech|talking)\b|\b(?:speak|talk|narrate|read)s?\s+(?:more\s+)?(?:fast(?:er)?|quick(?:er|ly)?)\b"
    r"|\b(?:not|don'?t|never)\s+(?:talk|speak|read|narrate)\s+(?:so|too)\s+slow(?:ly)?\b|\bsay\s+(?:it|that)\s+(?:more\s+)?(?:faster|quick(?:er|ly))\b",
    re.I,
)
#: Looks that are always a visual style, wherever "style" follows them ("an anime style fox", "8-bit pixel art style").
_KNOWN_STYLES = (
    r"(?:anime|manga|cartoon|pixar|disney|ghibli|water\s?colou?r|oil\s+painting|painting|pixel\s+art|pixel|art\s+deco|claymation|"
    r"stop[- ]motion|film\s+noir|noir|comic(?:\s+book)?|lego|minecraft|cyberpunk|steampunk|vaporwave|synthwave|retro|vintage|vhs|polaroid|"
    r"documentary|cinematic|sketch|pencil|charcoal|low[- ]poly|isometric|[23]d|cel[- ]shaded|origami|papercraft|impressionist|surrealist|"
    r"minimalist|neon|glitch|\d+-bit)"
)
#: "in the style of Ghibli", "in a watercolor style", "a fox in the snow, noir style", "an anime style fox" — but not
#: "a hair style tutorial", "family style dinner" or "gangnam style dance", where "style" belongs to what the video shows.
_STYLE = re.compile(
    r"\bin\s+the\s+style\s+of\s+(?:an?\s+)?(?P<b>[^,.;!?]{2,40})|\bin\s+(?:an?\s+|the\s+)?(?P<a>(?:(?!in\b)[\w'-]+\s+){0,2}(?!in\b)[\w'-]+)\s+style\b"
    r"|(?:^|(?<=[,;:(]))\s*(?:an?\s+|the\s+)?(?P<d>" + _DESCRIBING + r"{0,3}?[\w'-]+)[- ]style[sd]?\s*"
    r"(?=$|[,;.!?)]|(?:video|vid|clip|animation|film|movie|reel|short|version|visuals?|look|footage|edit)s?\b)"
    rf"|\b(?P<c>(?:{_KNOWN_STYLES}[\s-]+){{0,2}}{_KNOWN_STYLES})[- ]style[sd]?\b",
    re.I,
)
#: Clauses that are about the video, not what it shows: cut out of the subject.
_ABOUT_THE_VIDEO = re.compile(
    r"\b(?:(?:spoken|narrated|read|told|voiced)\s+)?(?:with|in|using)\s+(?:a\s+|an\s+)?(?:[\w-]+\s+){0,2}[\w-]+\s+(?:voice|tone)\b"
    r"|\b(?:narrated|voiced|read|told|spoken)\s+by\s+(?:a\s+|an\s+)?(?:[\w-]+\s+)?(?:woman|female|girl|lady|man|male|guy|boy)\b"
    r"|\b(?:in|at)\s+(?:4k|8k|hd|full\s*hd|uhd|1080p|720p|high\s+quality|hq|high\s+res(?:olution)?)\b|\b(?:4k|8k|1080p|720p|hd|uhd)\b"
    r"|\b(?:format|aspect(?:\s+ratio)?|orientation|ratio)\b|\b(?:pls|plz|please|thx|thanks|ty|asap|kthx|lol|lmao|haha|xd|omg|tysm|rn)\b"
    r"|(?<![\w'])(?:s'il\s+(?:te|vous)\s+pla[iî]t|svp|por\s+favor|bitte|per\s+favore|alsjeblieft|alstublieft)(?![\w'])",
    re.I,
)
_LEADING_ASK = re.compile(
    # a turn of a conversation may open with "ok so", "and now", "next,", "great, now"
    r"^\s*(?:(?:hey|hi|hello|yo|ok|okay|so|now|and|also|alright|great|cool|then|next(?=\s*,))\b[\s,!.]*)*(?:(?:pls|plz|please)\s+)?(?:(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+|pls\s+)?)?(?:(?:make|create|generate|render|produce|give\s+me|gimme|lemme\s+(?:see|get|have)|(?:can|could|may)\s+i\s+(?:get|have|see)|i\s+(?:want|need|wanna)(?:\s+(?:to\s+)?see)?|wanna(?:\s+see)?|need|want|i'?d\s+(?:like|love)|i\s+would\s+(?:like|love)|build|do|show(?:\s+me)?|animate|film|shoot|craft|put\s+together|cook\s+up|whip\s+up|hazme|haz|cr[eé]ame|crea|genera|fais(?:-moi)?|cr[eé]e|faz|fammi|mach(?:\s+mir)?|erstelle)\b)?\s*(?:it\b\s*[:,-]?\s*)?"
    # "a short video": the article and adjectives go with the video's noun ("a little girl" keeps them), or with a
    # setting cut out of the text ("a ◌◌◌ about carnival" was "a video in portuguese about carnival").
    r"(?:me\s+|us\s+)?(?:(?:(?:an?|the|some|my|one|\d+|"
    + _COUNT_WORDS
    + r")\s+)?(?:(?:short|quick|little|small|tiny|cool|nice|fun|cute|simple|brief|new)\s+)*"
    r"(?:ai\s+)?(?:video|v[ií]d[eé]o|vid|vidoe|viedo|vdeo|clip|film|movie|animation|reel|short|tiktok|montage|sequence|ad|commercial|promo|trailer|explainer|teaser)s?\b\s*"
    r"|(?:an?|the|some|one|\d+|" + _COUNT_WORDS + r")\s+(?=(?:of|about|abt|bout|showing|featuring|on|where|explaining|for)\b))?"
    r"(?:(?:of|about|abt|bout|showing|with|that\s+shows|featuring|on|where|explaining|for)\b)?\s*"
    r"(?:(?:un|une|una|uno|um|uma|ein|eine|einen)\s+(?:v[ií]d[eé]o|clip|film)\s+(?:de|d'|di|do|da|del|von|über|uber|sur|sobre|su)\s*)?"
    r"(?:(?:de|d'|di|del|von|über|uber|sur|sobre|su)\s+)*",
    re.I,
)
_DANGLING_WORDS = re.compile(
    r"(?:^|\s+)(?:in|at|with|and|for|of|a|an|the|on|to|about|by|lasting|that|is|are|be|it|its|my|our|long|total|video|clip|vid|just|approx|approximately|about|around|roughly|~)$",
    re.I,
)


#: A title the person gives: 'titled "Morning Rush"', 'a video called "Hope"', "title: Morning Rush", "entitled Morning Rush about …".
_TITLED = re.compile(
    r"\b(?P<word>titled|entitled|title\s*[:=]|with\s+the\s+title|called|named)\s*"
    r"(?:[\"“«](?P<quoted>[^\"”»]*\w[^\"”»]*)[\"”»]|['‘](?P<single>(?:[^'’]|['’]\w)+?)['’](?!\w)"
    r"|(?P<bare>\w[^,.;:!?\"“”]{0,59}?)(?=\s+(?:about|of|on|showing|featuring|with|where|in\s+which|that|for)\b|\s*[,.;:!?]|\s*$))",
    re.I,
)
#: "called" and "named" give a title only when said of the video: 'a clip called "Hope"', not 'a dog named "Max"'.
_VIDEO_BEFORE_NAME = re.compile(r"\b(?:video|clip|film|movie|reel|short|vid)s?\s+$", re.I)


def stated_title(text: str) -> re.Match[str] | None:
    """Where the request gives the video's title, if it does."""
    for match in _TITLED.finditer(text):
        if match.group("word").lower() not in {"called", "named"} or _VIDEO_BEFORE_NAME.search(text, 0, match.start()):
            return match
    return None


def title_in(request: str) -> str | None:
    """The title the person gave the video, as they wrote it."""
    match = stated_title(plain_text(request))
    return (match.group("quoted") or match.group("single") or match.group("bare")).strip() if match else None


#: Setting words still read when mistyped ("verticle", "sqaure", "widescren", "naration", "narator", "musci", "femal").
_SETTING_WORDS = (
    "vertical",
    "horizontal",
    "square",
    "landscape",
    "portrait",
    "widescreen",
    "narration",
    "narrator",
    "voiceover",
    "music",
    "soundtrack",
    "female",
)
#: Real words a slip away from a setting word or a language: never "corrected".
_NOT_TYPOS = frozenset(
    {
        "verticals",
        "vertices",
        "horizontals",
        "squares",
        "squared",
        "squire",
        "landscapes",
        "landscaped",
        "landscaper",
        "portraits",
        "narrative",
        "narratives",
        "narrated",
        "narrates",
        "narrating",
        "narrators",
        "voiceovers",
        "musk",
        "soundtracks",
        "females",
        "russia",
        "korea",
        "germany",
        "italia",
        "shorts",
        "shoots",
        "spots",
        "slots",
        "shouts",
        "scents",
    }
)
_LANGUAGE_WORDS = frozenset(name for name in _LANGUAGES if name.isascii() and len(name) >= 4)
#: Where a word is a language ("in spansih", "germna narration") or a count's noun ("3 shrots", "five sceens").
_TYPO_SLOTS = (
    (re.compile(r"\b(?:in|en|auf)\s+(?P<word>[a-z]{4,})\b", re.I), _LANGUAGE_WORDS),
    (re.compile(r"\b(?P<word>[a-z]{4,})(?=\s+(?:narration|narrator|voice|voiceover|audio)\b)", re.I), _LANGUAGE_WORDS),
    (re.compile(rf"\b(?:\d+|{_COUNT_WORDS})\s+(?P<word>[a-z]{{4,}})\b", re.I), frozenset({"shot", "shots", "scene", "scenes"})),
)


def spelled_out(text: str) -> str:
    """``text`` with clear typos of setting words, languages and shot counts written as meant."""
    text = correct_typos(text, _SETTING_WORDS, _NOT_TYPOS)
    for slot, vocabulary in _TYPO_SLOTS:
        text = slot.sub(_Respeller(vocabulary), text)
    return text


@dataclass(frozen=True)
class _Respeller:
    """Writes the word of one slot as meant, from the words that slot can hold."""

    vocabulary: frozenset[str]

    def __call__(self, match: re.Match[str]) -> str:
        word = match.group("word")
        meant = word if word.lower() in _NOT_TYPOS else closest(word, self.vocabulary) or word
        return match.group(0)[: match.start("word") - match.start()] + meant


def extract_requirements(text: str, *, with_subject: bool = True) -> Requirements:
    """Pull the explicit facts out of one message; what is left over is the subject.

    Raises :class:`BadRequest` for facts that are wrong as written (a negative length).
    """
    facts: dict[str, object] = {}
    said, rest = spoken_words(plain_text(text))
    if asks_to_speak(rest):  # the words said are neither the subject nor the length or style
        facts["talking"], facts["spoken_line"], text = True, said, rest
    if title := stated_title(text):  # a title is the person's words: no setting is read from them
        text = blank(text, [title.span()])
    text = normalise(spelled_out(plain_text(text)))
    spans: list[tuple[int, int]] = []

    durations = find_durations(text)
    per_shot = [d for d in durations if d.per_shot]
    if total := video_length(durations):  # other lengths belong to the subject ("a 24 hour timelapse")
        facts["total_duration_s"] = round(total.seconds, 1)
        spans.append((total.start, total.end))
    if per_shot:
        facts["shot_duration_s"] = round(per_shot[0].seconds, 1)
    spans += [(d.start, d.end) for d in per_shot]

    ratio = stated_ratio(blank(text, spans))
    ratio_spans = [(ratio.start, ratio.end)] if ratio else []
    if ratio:
        facts["aspect"] = ratio.aspect
        spans += ratio_spans
    if match := _ONE_SHOT.search(text):
        facts["shot_count"] = 1
        spans.append(match.span())
    elif match := _shot_count(blank(text, ratio_spans)):  # "a 21:9 shot": its 9 counts no shots
        facts["shot_count"] = int(parse_number(match.group("count")))
        spans.append(match.span())
    for pattern, aspect in _ASPECTS:
        settled = blank(text, spans)  # "a square 10 second clip", "square 1:1 loop": the shape is next to "clip"
        if matches := [m for m in pattern.finditer(settled) if not _ON_A_CALL.match(m.group(0)) or _WATCHED_ON.search(text, 0, m.start())]:
            facts.setdefault("aspect", aspect)
            spans += [m.span() for m in matches]
    spans += [m.span() for m in _PLATFORMS.finditer(text)]
    dropped, dropped_spans = _dropped_sounds(text)
    facts.update(dropped)
    spans += dropped_spans
    for pattern, key, value in (
        (_NO_NARRATION, "narration", False),
        (_NARRATION, "narration", True),
        (_NO_MUSIC, "music", False),
        (_MUSIC, "music", True),
        (NO_AMBIENCE, "ambience", ""),
        (_FEMALE, "voice_gender", "female"),
        (_MALE, "voice_gender", "male"),
        (_SLOWER, "voice_speed", 0.8),
        (_FASTER, "voice_speed", 1.25),
    ):
        matches = list(pattern.finditer(text))
        if matches and key not in facts:
            facts[key] = value
        spans += [m.span() for m in matches]
    if silent := silent_film(text):  # a silent film: no narrator, black and white, a piano over it (unless said otherwise)
        facts.setdefault("narration", False)
        if "music" not in facts:
            facts.update(music=True, music_prompt=SILENT_FILM_MUSIC)
        spans.append(silent.span())
    sound_facts, sound_spans = sound_requirements(text, music=facts.get("music"))
    for key, stated in sound_facts.items():
        facts.setdefault(key, stated)
    spans += sound_spans
    voice = voice_ask(text)  # "a deep voice", "a British accent", "narrated by <a person>" (never imitated)
    if voice.pitch_semitones is not None:
        facts.setdefault("voice_pitch_semitones", voice.pitch_semitones)
    if voice.gender is not None:
        facts.setdefault("voice_gender", voice.gender)
    gender = facts.get("voice_gender")
    if "voice_name" not in facts and (
        accented := voice.voice_for("female" if gender == "female" else "male" if gender == "male" else None)
    ):
        facts["voice_name"] = accented
    spans += voice.spans
    if with_subject and "language" not in facts:  # a request typed in French is narrated in French (a face says its words in theirs)
        written = written_in(said if facts.get("talking") and said else text)
        if written is not None and written != "en":
            facts["language"] = written
    if match := _STYLE.search(text):
        style = next(g for g in match.groups() if g).strip()
        if style.lower() not in {"this", "that", "same", "any", "my", "your"}:
            facts["style"] = style.lower()
            spans.append(match.span())
    if silent and ("style" not in facts or re.fullmatch(r"(?:an?\s+)?silent[- ](?:film|movie|picture)", str(facts["style"]))):
        facts["style"] = SILENT_FILM_STYLE
    spans += [m.span() for m in _ABOUT_THE_VIDEO.finditer(text)]

    rest = re.sub(r"(?<=\d) (?=s\b)", "", blank(text, spans))  # "80 s synthwave" was a decade
    listed = find_shot_list(rest)
    stated_count = facts.get("shot_count")
    if listed is None and isinstance(stated_count, int) and stated_count >= 2:
        listed = find_counted_list(rest, stated_count)  # "two shots: a kettle boiling, then tea being poured"
    if listed is not None:
        items = tuple(item for item in (subject_of(item) for item in listed.items) if item)
        if len(items) >= 2:
            facts["shots"] = items
            facts["shot_count"] = len(items)
            rest = listed.lead
    if with_subject:
        facts["subject"] = subject_of(rest)
        if facts.get("talking"):  # the subject is what the face talks about, not the ask to make it talk
            facts["subject"] = talking_topic(rest) or (said and said[:80]) or facts["subject"] or "a talking portrait"
    return Requirements.model_validate(facts)


def sound_requirements(text: str, *, music: object = None) -> tuple[dict[str, object], list[tuple[int, int]]]:
    """The music, ambience, language and voice a message asks for, and where it says so (cut from the subject)."""
    facts: dict[str, object] = {}
    spans: list[tuple[int, int]] = []
    if music is not False:
        if (match := _MUSIC_IS.search(text)) and not _NO_MUSIC.search(text):
            facts["music_prompt"] = _sound_words(match.group("what"))
            spans.append(match.span())
        elif music is True and (found := _MUSIC.search(text)):
            described = _sound_words(_MUSIC_WORDS_DROPPED.sub(" ", found.group(0)))
            noun = re.search(r"\b(beats?|score|song|tune)\b", found.group(0), re.I)
            noun_word = noun.group(1).lower() if noun else ""
            if described and noun_word and not described.endswith(noun_word):
                described = f"{described} {noun_word}"
            if described:
                facts["music_prompt"] = described
        if facts.get("music_prompt"):
            facts["music"] = True
        else:
            facts.pop("music_prompt", None)
    if not NO_AMBIENCE.search(text):
        matches = sorted(_AMBIENCE.finditer(text), key=lambda m: (m.group("of") is None, m.start()))
        for match in matches:
            what = _sound_words(match.group("of") or match.group("what") or match.group("bare") or "")
            if what and not _NOT_A_SOUND.search(what) and not re.match(r"\s+like\b", text[match.end() :], re.I):
                facts["ambience"] = what
                spans.append(match.span())
                break
        if "ambience" not in facts and (like := _SOUNDS_LIKE.search(text)):
            facts["ambience"] = _sound_words(like.group("like"))
            spans.append(like.span())
    if match := _LANGUAGE.search(text):
        facts["language"] = _stated_language(match)
        spans.append(match.span())
    if match := _VOICE_NAME.search(text):
        name = match.group("name") or match.group("named")
        if name is None:
            facts["voice_name"] = "clone:" + (match.group("mine") or "")
        elif name.lower() not in {"a", "an", "the", "of", "female", "male", "deep", "slower", "faster", "over", "overs"}:
            facts["voice_name"] = name
        if "voice_name" in facts:
            spans.append(match.span())
    return facts, spans


#: What a silent film looks and sounds like, when the person asks for one.
SILENT_FILM_STYLE = "black and white silent film"
SILENT_FILM_MUSIC = "silent film piano"
#: "a silent film about a clown", "silent movie style", "like an old silent film": the video's form, not its subject
#: ("a documentary about the silent film era", "the history of silent film", "a silent film star").
_SILENT_FILM = re.compile(
    r"(?<!about )(?<!about the )(?<!of )(?<!of the )(?<!on )(?<!on the )"
    r"(?:\b(?:in\s+the\s+style\s+of|like|as)\s+)?(?:\b(?:an?|the)\s+)?"
    r"(?:\b(?:old|old-timey|old-fashioned|vintage|classic|black[- ]and[- ]white|1920s)\s+)?"
    r"\bsilent[- ](?:film|movie|picture)(?:[- ]style|\s+look)?\b"
    r"(?!\s+(?:era|stars?|actors?|actress(?:es)?|history|days|age|comedians?|industry|studios?|festivals?|theat(?:er|re)s?|"
    r"music|score|collection|reels?)\b)",
    re.I,
)


def silent_film(text: str) -> re.Match[str] | None:
    """Where a request asks for its video to be a silent film, if it does."""
    return _SILENT_FILM.search(text)


def _shot_count(text: str) -> re.Match[str] | None:
    """Where the request says how many shots: "5 shots", "a 3 shot video" — not "a 360 shot of a car", which is one kind of shot."""
    for match in _SHOTS.finditer(text):
        singular = match.group("noun").lower() in _ONE_OF
        if not singular or parse_number(match.group("count")) == 1 or _COUNTED_VIDEO.match(text, match.end()):
            return match
    return None


def _dropped_sounds(text: str) -> tuple[dict[str, object], list[tuple[int, int]]]:
    """The sounds one negation turns off together ("no music or narration"), and where it says so."""
    facts: dict[str, object] = {}
    spans: list[tuple[int, int]] = []
    for match in _SOUNDS_DROPPED.finditer(text):
        listed = match.group("listed") or match.group("off")
        for words, key, value in (
            (_NARRATION_WORDS, "narration", False),
            (_MUSIC_WORDS, "music", False),
            (_AMBIENCE_WORDS, "ambience", ""),
        ):
            if re.search(rf"\b{words}\b", listed, re.I):
                facts.setdefault(key, value)
        spans.append(match.span())
    return facts, spans


def _sound_words(words: str) -> str:
    """A sound's description as said, without filler: "the sound of  rain " -> "rain"."""
    words = re.sub(r"\s+", " ", re.sub(r"^(?:a|an|the|some|more|of)\s+", "", words.strip(" -'\"").lower())).strip()
    return words[:160]


def blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the given spans replaced by spaces, so other positions stay put."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = [" "] * (end - start)
    return "".join(chars)


#: The video's own noun in Japanese, Chinese and Korean, with the particle that ties it to the subject ("猫の動画").
_CJK_VIDEO = re.compile(r"(?:の|的|\s)*(?:動画|映像|ビデオ|视频|視頻|影片|短片|동영상|영상|비디오)(?:を|が|은|는|을|를)?")
#: "(ein Video von) einem Fuchs", "(über) einen Zug": the article as the subject alone says it, "ein Fuchs", "ein Zug".
_GERMAN_ARTICLE = re.compile(r"^(?:einem|einen|einer)(?=\s)", re.I)
_NOMINATIVE = {"einem": "ein", "einen": "ein", "einer": "eine"}
#: An article left before a word it did not stand before: "an ◌◌◌◌◌ fox" was "an anime style fox".
_AN_ACROSS_A_CUT = re.compile(r"\b(?P<article>an?)\s{2,}(?=(?P<next>[^\W\d_]))", re.I)


def _article_agreeing(match: re.Match[str]) -> str:
    """ "a" or "an" as the next word's first letter wants it ("u" and "h" are left as written: "a unicorn", "an hour")."""
    letter, article = match.group("next").lower(), match.group("article")
    if letter in "uh":
        return f"{article} "
    wanted = "an" if letter in "aeio" else "a"
    return (wanted.capitalize() if article[0].isupper() else wanted) + " "


def subject_of(text: str) -> str | None:
    """The request without the ask and the stated facts: what the video is about."""
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)
    text = _CJK_VIDEO.sub(" ", text).strip(" ，。、！？：；")
    text = re.sub(r"^[\s,;:.!?-]+", "", text)
    text = _LEADING_ASK.sub("", text, count=1)
    text = _AN_ACROSS_A_CUT.sub(_article_agreeing, text)
    text = re.sub(r"\s*([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"\b(?:in|at|with|and|for|of|on|to|a|an|the|that is|lasting|long|de|d'|von)\s*(?=[,;:.!?]|$)", " ", text, flags=re.I)
    text = re.sub(r"\b(?:in|at|for|of|on|to|lasting)\s+(?=(?:in|at|with|for|of|on|to|about|showing)\b)", "", text, flags=re.I)
    text = re.sub(r"\s*[,;:]\s*(?=[,;:.!?]|$)", "", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" ,.;:-!?")
    while (stripped := _DANGLING_WORDS.sub("", text).strip(" ,.;:-!?")) != text:
        text = stripped
    text = re.sub(r"^(?:(?:of|about|showing|with|on)\s+)+(?=\w)", "", text, flags=re.I)
    text = _GERMAN_ARTICLE.sub(lambda match: _NOMINATIVE[match.group(0).lower()], text, count=1)
    text = re.sub(r"\s+,", ",", text)
    if text and all(word.lower() in NUMBER_WORDS or word.isdigit() for word in text.split()):
        return None  # "3" is what is left of "3 shorts for youtube": a count of videos, not what they show
    return text or None


def keywords(text: str) -> set[str]:
    """Content words, for checking that a model-written prompt kept the person's subject."""
    stop = {
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "and",
        "with",
        "for",
        "from",
        "by",
        "is",
        "it",
        "its",
        "into",
        "over",
        "under",
        "video",
        "shot",
        "scene",
        "some",
        "very",
        "that",
        "this",
    }
    return {word for word in re.findall(r"[a-z][a-z'-]+", text.lower()) if word not in stop and len(word) > 2}


def enforce(plan: ShotPlan, requirements: Requirements, *, keep_shot: int | None = None) -> ShotPlan:
    """The plan with every stated fact made true: aspect, narration, voice, and the total duration.

    When the total is fixed and one shot's length changed (``keep_shot``), the other shots absorb the
    difference so the person gets the length they asked for.
    """
    if requirements.aspect and plan.aspect != requirements.aspect:
        plan = plan.with_aspect(requirements.aspect)
    updates: dict[str, object] = {}
    if requirements.narration is not None:
        updates["narration"] = requirements.narration
    if requirements.music is False:
        updates["music"] = None
    elif requirements.music or requirements.music_prompt:
        music = plan.music or Music()
        if requirements.music_prompt is not None:
            music = music.model_copy(update={"prompt": requirements.music_prompt})
        updates["music"] = music
    if requirements.language is not None:
        updates["language"] = requirements.language
    if requirements.video_model is not None:
        updates["video_model"] = requirements.video_model
    voice_updates: dict[str, object] = {}
    if requirements.voice_gender is not None and plan.voice.gender != requirements.voice_gender:
        voice_updates.update(gender=requirements.voice_gender, name="", pitch_semitones=0.0)
    if requirements.voice_name is not None:  # a voice with an accent, of the gender said later ("British", then "male")
        gender = requirements.voice_gender
        voice_updates["name"] = same_accent(requirements.voice_name, gender) if gender else requirements.voice_name
    if requirements.language is not None and requirements.language != plan.language and requirements.voice_name is None:
        voice_updates["name"] = ""  # the voice is chosen again for the new language
    if requirements.voice_speed is not None:
        voice_updates["speed"] = requirements.voice_speed
    if requirements.voice_pitch_semitones is not None:
        voice_updates["pitch_semitones"] = requirements.voice_pitch_semitones
    if voice_updates:
        updates["voice"] = plan.voice.model_copy(update=voice_updates)
    if updates:
        plan = plan.model_copy(update=updates)
    if requirements.total_duration_s is not None and abs(plan.total_duration_s - requirements.total_duration_s) > 0.05:
        plan = plan.model_copy(update={"shots": fit_total(list(plan.shots), requirements.total_duration_s, keep_shot)})
    return ShotPlan.model_validate(plan.model_dump())


def fit_total(shots: list[Shot], total_s: float, keep_shot: int | None) -> tuple[Shot, ...]:
    """Scale shot durations (0.1 s steps, each >= MIN_SHOT_S) so they add up to ``total_s``."""
    fixed = {keep_shot} if keep_shot is not None and len(shots) > 1 else set()
    fixed_total = sum(shot.duration_s for shot in shots if shot.id in fixed)
    flexible = [shot for shot in shots if shot.id not in fixed]
    room = total_s - fixed_total
    if room < MIN_SHOT_S * len(flexible):
        fixed, flexible, room = set(), shots, total_s
    current = sum(shot.duration_s for shot in flexible)
    tenths = [max(round(MIN_SHOT_S * 10), round(shot.duration_s / current * room * 10)) for shot in flexible]
    tenths[-1] += round(room * 10) - sum(tenths)
    new = {shot.id: min(MAX_SHOT_S, max(MIN_SHOT_S, t / 10)) for shot, t in zip(flexible, tenths, strict=True)}
    return tuple(shot.model_copy(update={"duration_s": new[shot.id]}) if shot.id in new else shot for shot in shots)

"""Which language a piece of text is written in, when that is clear from its words.

A request typed in French ("un chat qui dort au soleil") is narrated in French without the person
having to say so, and a subject typed in English inside a French plan is said as typed. Short texts
give few clues, so the guess is a count of frequent words (articles, prepositions, the nouns and verbs
people put in video requests), each weighted by how many of the languages share it ("de" is French,
Spanish, Portuguese and Dutch; "perro" only Spanish), plus the scripts of Japanese, Korean and Chinese.
A language is named only when it clearly leads and its words cover most of the text; otherwise the
answer is ``None`` and nothing is assumed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache

#: Function words per language: articles, prepositions, pronouns, conjunctions, common verbs' forms.
_FUNCTION: dict[str, str] = {
    "en": """
        the a an of and or with in on at to for from by is are was be this that these those it its his her their my your our
        some into over under through while near very about me please how why what who where
    """,
    "fr": """
        le la les un une des du de d' l' qu' c' j' s' et ou avec dans sur sous au aux à pour par chez en est sont ce cet cette
        ces son sa ses mon ma mes leur très qui que on il elle nous vous pendant comment pourquoi sans
    """,
    "es": """
        el la los las un una unos unas de del al y o con en sobre bajo para por es está son este esta estos estas ese esa
        mi mis su sus muy que qué cómo sin se lo le mientras
    """,
    "it": """
        il lo la i gli le un uno una di del della dello dei degli delle al alla allo ai agli alle da dal dalla in nel nella
        nei sul sulla con su per tra fra e o è sono che questo questa mio mia molto come si senza mentre
    """,
    "pt": """
        o a os as um uma uns umas de do da dos das no na nos nas em com para por ao à pelo pela e ou é está são este esta
        isso meu minha seu sua muito que se sem enquanto
    """,
    "de": """
        der die das den dem des ein eine einen einem einer und oder mit von vom zu zum zur im in am an auf aus bei für über
        unter durch nach ist sind war sein nicht sich mein meine sehr bitte ohne während wie
    """,
    "nl": """
        de het een en of met van in op aan bij voor naar uit door over onder is zijn was niet mijn heel dat die dit deze
        zonder terwijl hoe
    """,
}
#: Frequent content words of video requests per language.
_CONTENT: dict[str, str] = {
    "en": """
        video clip show showing make seconds second minute minutes hour cat dog man woman girl boy city night day sun sea
        beach rain forest street house water little big red blue green running walking sleeping flying sitting dancing
        playing explained explainer narrated narration voice female male vertical short long slow motion time lapse
        timelapse shot shots scene scenes sky tree trees flower flowers bird birds car train mountain mountains river snow
        light morning sunset sunrise old young kid kids people
    """,
    "fr": """
        vidéo secondes seconde minute minutes heure heures chat chien homme femme fille garçon ville nuit jour soleil mer
        plage pluie forêt rue maison eau petit petite grand grande rouge bleu vert dort court vole plaît fais-moi faites
        voix narration narrée raconté racontée français française musique carrée trente vingt ciel arbre fleur oiseau
        voiture montagne rivière neige lumière matin coucher lever enfant gens bienvenue aujourd' hui chaîne
    """,
    "es": """
        video vídeo segundos segundo minuto minutos hora horas gato perro hombre mujer niña niño ciudad noche día sol mar
        playa lluvia bosque calle casa agua pequeño pequeña grande rojo azul verde durmiendo corriendo volando hazme haz
        favor voz narración narrado narrada español española música medio treinta veinte cielo árbol flor pájaro coche
        tren montaña río nieve luz mañana atardecer amanecer gente bienvenidos hoy
    """,
    "it": """
        video secondi minuto minuti ora ore gatto cane uomo donna ragazza ragazzo città notte giorno sole mare spiaggia
        pioggia bosco strada casa acqua piccolo piccola grande rosso blu verde dorme corre vola fammi favore voce
        narrazione narrato narrata italiano italiana musica venti trenta fa cielo albero fiore uccello macchina treno
        montagna fiume neve luce mattina tramonto alba bambino gente benvenuti oggi inquadrature
    """,
    "pt": """
        vídeo segundos segundo minuto minutos hora horas gato cachorro cão homem mulher menina menino cidade noite dia sol
        mar praia chuva floresta rua casa água pequeno pequena grande vermelho azul verde dormindo correndo voando faz faça
        favor voz narração narrado narrada português portuguesa música céu árvore flor pássaro carro trem montanha rio
        neve luz manhã pôr criança gente bem-vindos hoje
    """,
    "de": """
        video sekunden minute minuten stunde stunden katze hund mann frau mädchen junge stadt nacht tag sonne meer strand
        regen wald straße haus wasser klein kleine groß große rot blau grün schläft läuft fliegt springt spielt mach
        erstelle stimme erzähler erzählt deutsch deutsche musik halbe himmel baum blume vogel auto zug berg berge fluss
        schnee licht morgen sonnenuntergang kind leute willkommen heute
    """,
    "nl": """
        video seconden minuut minuten uur kat hond man vrouw meisje jongen stad nacht dag zon zee strand regen bos straat
        huis water klein kleine groot grote rood blauw groen slaapt loopt vliegt maak alsjeblieft graag stem verteller
        verteld nederlands muziek filmpje lucht boom bloem vogel auto trein berg rivier sneeuw licht ochtend
        zonsondergang kind mensen welkom vandaag
    """,
}
_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*'?", re.UNICODE)
#: Letters only one of the languages writes.
_LETTERS = {"es": "ñ¿¡", "pt": "ãõ", "fr": "èêëœ", "de": "äöüß"}
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
#: Characters Chinese writes often and Japanese rarely or never (simplified forms, particles).
_CHINESE = re.compile(r"[的了是这个们吗视频在一只着]")
#: How far the leading language must lead, how many of its function words and how much of the text its words must cover.
_LEAD = 1.5
#: Requests are mostly English with foreign names in them ("pan de muerto for día de los muertos"): another language
#: must lead English further than it leads the others.
_LEAD_OVER_ENGLISH = 2.5
_MIN_SCORE = 3.0
_MIN_FUNCTION_WORDS = 2
_MIN_COVER = 0.3


def _plain(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


@cache
def _lexicon(words: tuple[tuple[str, str], ...]) -> dict[str, dict[str, float]]:
    """Each known word (as written and without accents) -> the weight it gives each language that uses it."""
    users: dict[str, set[str]] = {}
    for language, listed in words:
        for word in listed.split():
            for form in {word, _plain(word) if len(word) >= 4 else word}:  # "francais", "video"; but "à" is not "a"
                users.setdefault(form, set()).add(language)
    return {word: {language: 2.0 / len(languages) for language in languages} for word, languages in users.items()}


def _known(token: str, lexicon: dict[str, dict[str, float]]) -> dict[str, float]:
    return lexicon.get(token) or lexicon.get(_plain(token)) or {}


@dataclass(frozen=True)
class Evidence:
    """What the words of a text say about its language."""

    #: Weight for each language: its words, each shared word counting less, and letters only it writes.
    weight: dict[str, float]
    #: How many of the text's words each language's function words are.
    function_words: Counter[str]
    #: The share of the text's words each language knows.
    share: dict[str, float]


def evidence(text: str) -> Evidence:
    """How much the words and letters of ``text`` point to each language."""
    function = _lexicon(tuple(_FUNCTION.items()))
    every = _lexicon(tuple(_FUNCTION.items()) + tuple(_CONTENT.items()))
    tokens = [token.lower() for token in _TOKEN.findall(text.replace("’", "'"))]
    weight: defaultdict[str, float] = defaultdict(float)
    covered: Counter[str] = Counter()
    functional: Counter[str] = Counter()
    for token in tokens:
        for language, value in _known(token, every).items():
            weight[language] += value
            covered[language] += 1
        functional.update(_known(token, function).keys())
    lowered = text.lower()
    for language, letters in _LETTERS.items():
        if found := sum(lowered.count(letter) for letter in letters):
            weight[language] += 2.0 * min(2, found)
    share = {language: covered[language] / len(tokens) for language in covered} if tokens else {}
    return Evidence(dict(weight), functional, share)


def written_in(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is clearly written in, or ``None`` when it is not clear: its
    words must clearly outweigh every other language's, and include function words of it, not only names of things."""
    if script := _script_language(text):
        return script
    found = evidence(text)
    ranked = sorted(found.weight.items(), key=lambda item: item[1], reverse=True)[:2]
    if not ranked:
        return None
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    english = found.weight.get("en", 0.0) if best != "en" else 0.0  # English around foreign names wins more often
    clear = score >= _MIN_SCORE and score >= _LEAD * runner_up and score >= _LEAD_OVER_ENGLISH * english
    if not clear or found.function_words[best] < _MIN_FUNCTION_WORDS or found.share.get(best, 0.0) < _MIN_COVER:
        return None
    return best


def reads_as(text: str, language: str) -> bool:
    """Whether ``text`` can be said as it is in ``language``: its words are at least as much that language's as any
    other's, or no language's one can tell (a name, a single noun); not "a cat sleeping" in French, nor "a fox"."""
    if language in {"ja", "zh", "ko"}:
        return not re.search(r"[A-Za-z]{2,}", text) or bool(_script_language(text))
    if _script_language(text):
        return False
    weight = evidence(text).weight
    own = weight.get(language, 0.0)
    others = max((value for other, value in weight.items() if other != language), default=0.0)
    return own >= others and (own > 0 or others == 0)


def _script_language(text: str) -> str | None:
    """Japanese, Korean or Chinese from their scripts, when most letters are in them."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    kana, hangul, han = (len(pattern.findall(text)) for pattern in (_KANA, _HANGUL, _HAN))
    if (kana + hangul + han) * 2 < len(letters):
        return None
    if hangul >= max(kana, han):
        return "ko"
    if kana:
        return "ja"
    return "zh" if _CHINESE.search(text) else None

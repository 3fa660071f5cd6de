"""Narration lines written by code in the plan's language, when no model writes them.

English lines are the planner's own (they put articles before bare nouns: "Meet the cat."). In the
other languages a subject cannot be re-articled without knowing its gender and case ("un chat" is "le
chat", "ein Hund" "der Hund" or "den Hund"), so every frame here takes the subject as the person wrote
it: after a word that needs nothing from it ("Voici un chat qui dort.", "Ecco una gondola."), or set off
by a colon or a comma ("Ein letzter Blick: ein Hund im Park."). A subject typed in another language is
said as typed, in that language's quotation marks ("Voici « a cat sleeping ».") and the plan says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reelwright.agent.language_guess import reads_as


@dataclass(frozen=True)
class Frames:
    """How one language's narrator opens on, returns to and leaves a subject, and its plain lines."""

    #: The first shot's line; ``{s}`` is the subject.
    opening: str
    #: Lines for the shots between, each fine after any subject.
    middle: tuple[str, ...]
    #: The last shot's line.
    closing: str
    #: Lines that name nothing, for shots too short to name the subject, at least as many as a video has shots.
    plain: tuple[str, ...]
    quotes: tuple[str, str]
    #: Words a noun phrase can start with ("un", "la", "mes"): the opening needs one when it is ``determined``.
    determiners: str = ""
    #: Words that start a clause ("comment on fait du pain"), opened with ``clause_opening``.
    clause_words: str = ""
    clause_opening: str = ""
    #: Where a noun phrase's head ends ("un chat | qui dort au soleil"), to name a subject again briefly.
    head_ends: str = ""

    @property
    def determined(self) -> bool:
        return bool(self.determiners)


FRAMES: dict[str, Frames] = {
    "fr": Frames(
        opening="Voici {s}.",
        middle=(
            "Regardez bien : {s}.",
            "{s}, de plus près.",
            "Encore un regard : {s}.",
            "{s}, dans le détail.",
            "Prenons le temps : {s}.",
            "{s}, sous un autre angle.",
        ),
        closing="Un dernier regard : {s}.",
        plain=(
            "Regardez de plus près.",
            "Prenez le temps.",
            "Observez bien.",
            "Continuez à regarder.",
            "Regardez encore.",
            "Chaque détail compte.",
            "Restez un instant.",
            "Remarquez les détails.",
            "Et maintenant, la suite.",
            "Respirez.",
            "Presque fini.",
            "Quel spectacle.",
        ),
        quotes=("« ", " »"),
        determiners=r"un|une|le|la|les|l'|des|du|de|d'|mon|ma|mes|ton|ta|tes|son|sa|ses|notre|nos|votre|vos|leur|leurs|ce|cet|cette|ces|deux|trois|quatre|cinq|quelques|plusieurs|\d+",
        clause_words=r"comment|pourquoi|ce\s+qui|ce\s+que|où|quand|qui",
        clause_opening="Voici {s}.",
        head_ends=r"\s+(?:qui|que|dans|sur|sous|au|aux|à|de|du|des|d'|avec|en|pendant|près|vers|entre)\b|\s*[,;:]",
    ),
    "es": Frames(
        opening="He aquí {s}.",
        middle=(
            "Miren bien: {s}.",
            "{s}, de cerca.",
            "Otra mirada: {s}.",
            "{s}, en detalle.",
            "Con calma: {s}.",
            "{s}, desde otro ángulo.",
        ),
        closing="Una última mirada: {s}.",
        plain=(
            "Miren de cerca.",
            "Tómense su tiempo.",
            "Observen bien.",
            "Sigan mirando.",
            "Miren otra vez.",
            "Cada detalle cuenta.",
            "Quédense un momento.",
            "Fíjense en los detalles.",
            "Y ahora, lo que sigue.",
            "Respiren.",
            "Casi terminamos.",
            "Qué espectáculo.",
        ),
        quotes=("«", "»"),
        determiners=r"un|una|unos|unas|el|la|los|las|lo|mi|mis|tu|tus|su|sus|nuestro|nuestra|nuestros|nuestras|este|esta|estos|estas|ese|esa|esos|esas|dos|tres|cuatro|cinco|varios|varias|algunos|algunas|\d+",
        clause_words=r"c[oó]mo|por\s+qu[eé]|qu[eé]|d[oó]nde|cu[aá]ndo|qui[eé]n",
        clause_opening="Veamos {s}.",
        head_ends=r"\s+(?:que|en|de|del|con|sobre|bajo|al|a|por|para|entre|junto|mientras)\b|\s*[,;:]",
    ),
    "de": Frames(
        opening="Im Bild: {s}.",
        middle=(
            "Genau hinsehen: {s}.",
            "{s}, aus der Nähe.",
            "Noch ein Blick: {s}.",
            "{s}, im Detail.",
            "In aller Ruhe: {s}.",
            "{s}, aus einem anderen Blickwinkel.",
        ),
        closing="Ein letzter Blick: {s}.",
        plain=(
            "Schauen Sie genauer hin.",
            "Nehmen Sie sich Zeit.",
            "Genau hinsehen.",
            "Weiter zuschauen.",
            "Noch einmal hinsehen.",
            "Jedes Detail zählt.",
            "Einen Moment verweilen.",
            "Achten Sie auf die Details.",
            "Und nun, wie es weitergeht.",
            "Tief durchatmen.",
            "Fast geschafft.",
            "Was für ein Anblick.",
        ),
        quotes=("„", "“"),
        head_ends=r"\s+(?:der|die|das|im|in|am|an|auf|aus|bei|mit|von|vom|zum|zur|unter|über|durch|nach|vor|während|und)\b|\s*[,;:]",
    ),
    "it": Frames(
        opening="Ecco {s}.",
        middle=(
            "Guardate bene: {s}.",
            "{s}, da vicino.",
            "Un altro sguardo: {s}.",
            "{s}, nei dettagli.",
            "Con calma: {s}.",
            "{s}, da un'altra angolazione.",
        ),
        closing="Un ultimo sguardo: {s}.",
        plain=(
            "Guardate da vicino.",
            "Prendetevi il tempo.",
            "Osservate bene.",
            "Continuate a guardare.",
            "Guardate ancora.",
            "Ogni dettaglio conta.",
            "Restate un momento.",
            "Notate i dettagli.",
            "E ora, il seguito.",
            "Respirate.",
            "Quasi finito.",
            "Che spettacolo.",
        ),
        quotes=("«", "»"),
        determiners=r"un|uno|una|un'|il|lo|la|l'|i|gli|le|mio|mia|miei|mie|tuo|tua|suo|sua|nostro|nostra|questo|questa|questi|queste|quel|quello|quella|due|tre|quattro|cinque|alcuni|alcune|\d+",
        clause_words=r"come|perch[eé]|cosa|che\s+cosa|dove|quando|chi",
        clause_opening="Vediamo {s}.",
        head_ends=r"\s+(?:che|in|nel|nella|di|del|della|con|su|sul|sulla|al|alla|a|da|per|tra|fra|mentre)\b|\s*[,;:]",
    ),
    "pt": Frames(
        opening="Conheça {s}.",
        middle=(
            "Olhe bem: {s}.",
            "{s}, de perto.",
            "Outro olhar: {s}.",
            "{s}, em detalhe.",
            "Com calma: {s}.",
            "{s}, de outro ângulo.",
        ),
        closing="Um último olhar: {s}.",
        plain=(
            "Olhe de perto.",
            "Sem pressa.",
            "Observe bem.",
            "Continue olhando.",
            "Olhe de novo.",
            "Cada detalhe conta.",
            "Fique um instante.",
            "Repare nos detalhes.",
            "E agora, o que vem a seguir.",
            "Respire fundo.",
            "Quase lá.",
            "Que espetáculo.",
        ),
        quotes=("“", "”"),
        determiners=r"um|uma|uns|umas|o|a|os|as|meu|minha|meus|minhas|seu|sua|nosso|nossa|este|esta|estes|estas|esse|essa|aquele|aquela|dois|duas|três|quatro|cinco|alguns|algumas|\d+",
        clause_words=r"como|por\s+que|o\s+que|onde|quando|quem",
        clause_opening="Veja {s}.",
        head_ends=r"\s+(?:que|em|no|na|nos|nas|de|do|da|dos|das|com|sobre|ao|à|a|por|para|entre|enquanto)\b|\s*[,;:]",
    ),
    "nl": Frames(
        opening="Hier zien we {s}.",
        middle=(
            "Kijk goed: {s}.",
            "{s}, van dichtbij.",
            "Nog een blik: {s}.",
            "{s}, in detail.",
            "Rustig aan: {s}.",
            "{s}, vanuit een andere hoek.",
        ),
        closing="Een laatste blik: {s}.",
        plain=(
            "Kijk van dichtbij.",
            "Neem de tijd.",
            "Kijk goed.",
            "Blijf kijken.",
            "Kijk nog eens.",
            "Elk detail telt.",
            "Sta even stil.",
            "Let op de details.",
            "En nu, het vervolg.",
            "Haal even adem.",
            "Bijna klaar.",
            "Wat een gezicht.",
        ),
        quotes=("“", "”"),
        head_ends=r"\s+(?:die|dat|in|op|met|bij|van|aan|onder|over|door|naar|voor|en)\b|\s*[,;:]",
    ),
    "ja": Frames(
        opening="これは{s}です。",
        middle=(
            "よく見てください。{s}。",
            "{s}を、もっと近くで。",
            "もう一度、{s}。",
            "{s}の細部。",
            "ゆっくりと、{s}。",
            "別の角度から、{s}。",
        ),
        closing="最後にもう一度、{s}。",
        plain=(
            "よく見てください。",
            "ゆっくりご覧ください。",
            "細部に注目してください。",
            "もう一度見てみましょう。",
            "少しだけ立ち止まって。",
            "このまま見ていてください。",
            "美しい光景です。",
            "ひと息ついて。",
            "もうすぐです。",
            "見逃さないでください。",
            "すべての瞬間が大切です。",
            "静かに感じてください。",
        ),
        quotes=("「", "」"),
    ),
    "zh": Frames(
        opening="这是{s}。",
        middle=(
            "仔细看：{s}。",
            "近看{s}。",
            "再看一眼{s}。",
            "{s}的细节。",
            "慢慢欣赏{s}。",
            "换个角度看{s}。",
        ),
        closing="最后再看一眼{s}。",
        plain=(
            "仔细看。",
            "慢慢欣赏。",
            "注意细节。",
            "再看一次。",
            "停留片刻。",
            "继续看。",
            "多美的景色。",
            "深呼吸。",
            "就快到了。",
            "别错过。",
            "每个细节都很重要。",
            "静静感受。",
        ),
        quotes=("“", "”"),
    ),
    "ko": Frames(
        opening="이것은 {s}입니다.",
        middle=(
            "자세히 보세요. {s}.",
            "{s}, 가까이에서.",
            "다시 한 번, {s}.",
            "{s}의 디테일.",
            "천천히, {s}.",
            "다른 각도에서, {s}.",
        ),
        closing="마지막으로, {s}.",
        plain=(
            "자세히 보세요.",
            "천천히 감상하세요.",
            "디테일에 주목하세요.",
            "다시 한 번 보세요.",
            "잠시 머물러 보세요.",
            "계속 지켜보세요.",
            "멋진 광경입니다.",
            "숨을 고르세요.",
            "거의 다 왔습니다.",
            "놓치지 마세요.",
            "모든 순간이 소중합니다.",
            "조용히 느껴 보세요.",
        ),
        quotes=("“", "”"),
    ),
}
#: English lines for a shot too short to name the subject again; as many as a video has shots, so none repeats.
ENGLISH_PLAIN_LINES = (
    "Look closer.",
    "Take it in.",
    "Watch closely.",
    "Keep watching.",
    "Look again.",
    "Every detail counts.",
    "Stay a moment.",
    "Notice the details.",
    "Here it comes.",
    "Take a breath.",
    "Almost there.",
    "What a sight.",
)
#: English for a subject typed in another language ("Meet “un renard dans la neige”."): the planner's own English
#: lines put "the" before a subject, which only an English one takes.
TYPED_IN_ENGLISH = Frames(
    opening="Meet {s}.",
    middle=(
        "Look closer: {s}.",
        "{s}, up close.",
        "Another look: {s}.",
        "{s}, in detail.",
        "Take your time: {s}.",
        "{s}, from another angle.",
    ),
    closing="One last look: {s}.",
    plain=ENGLISH_PLAIN_LINES,
    quotes=("“", "”"),
)
#: The languages code writes narration in (English is the planner's own).
LANGUAGES = frozenset({"en", *FRAMES})


def _frames(language: str) -> Frames:
    return FRAMES.get(language, TYPED_IN_ENGLISH)


_SENTENCE_END = ".!?。！？"


def typed_in_another_language(subject: str, language: str) -> bool:
    """Whether ``subject`` is written in another language than ``language`` (so it is said as typed, in quotes)."""
    return not reads_as(subject, language)


def said_as_typed(subject: str, language: str) -> str:
    """The subject as the narrator says it: as written, or quoted when it is written in another language."""
    frames = _frames(language)
    if reads_as(subject, language):
        return subject
    return f"{frames.quotes[0]}{subject}{frames.quotes[1]}"


def candidate_lines(subject: str, index: int, count: int, language: str) -> list[str]:
    """The lines shot ``index`` of ``count`` could say about ``subject`` in ``language``, best first: the subject
    in full, then by its head ("un chat"), then plain lines; the planner takes the first that fits and is unused."""
    frames = _frames(language)
    said = said_as_typed(subject, language)
    mentions = [said]
    if said == subject and frames.head_ends:
        head = re.split(frames.head_ends, subject, maxsplit=1, flags=re.I)[0].strip()
        if head and head != subject:
            mentions.append(head)
    if index == 0:
        lines = [_opening(frames, mention, quoted=said != subject) for mention in mentions]
    elif index == count - 1:
        lines = [frames.closing.format(s=mention) for mention in mentions]
    else:
        turn = (index - 1) % len(frames.middle)
        rotated = frames.middle[turn:] + frames.middle[:turn]
        lines = [frame.format(s=mention) for mention in mentions for frame in rotated]
    return [sentence(line) for line in lines] + list(frames.plain)


def listed_line(item: str, language: str) -> str:
    """The line of a shot the person listed: its item, said as typed."""
    return sentence(said_as_typed(item, language))


def sentence(line: str) -> str:
    """Capitalised at its first letter (after any quotation mark) and ending as a sentence does."""
    line = line.strip()
    if not line:
        return line
    first = next((i for i, c in enumerate(line) if c.isalpha()), None)
    if first is not None:
        line = line[:first] + line[first].upper() + line[first + 1 :]
    return line if line[-1] in _SENTENCE_END else line.rstrip(",;:") + "."


def _opening(frames: Frames, mention: str, *, quoted: bool) -> str:
    """The first line: the language's opening where the subject allows it, else the subject alone."""
    if frames.clause_words and re.match(rf"(?:{frames.clause_words})\b", mention, re.I):
        return frames.clause_opening.format(s=mention)
    if not frames.determined or quoted or re.match(rf"(?:{frames.determiners})(?:\b|(?<='))", mention, re.I):
        return frames.opening.format(s=mention)
    return mention

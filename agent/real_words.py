"""Real English words that sit one or two slips away from a word the parsers correct typos to.

A typo fixer that only knows its own vocabulary turns "swan" into "swap", "fist" into "first" and
"shorts" into "shots". These are the words it must leave alone: every English word that wordfreq
(large list) rates at Zipf frequency 2 or more and that ``wording.closest`` would otherwise read as a
typo of the edit vocabulary (``agent/edits.py``) or of a duration unit (``agent/durations.py``); the
common misspellings of those very words that wordfreq also counts ("frist", "insead", "shoud") are
left out, so they are still corrected. Regenerate it when either vocabulary grows.
"""

from __future__ import annotations

REAL_WORDS = frozenset(
    """
    afters alter appended appendix aster back beginnings betweens blacks blank blick blighted block brack brighten
    brightens brightest brightly brighton calder centrist chance changed changer changers changes changeup changi
    charge chip chips choosing clap claps clashing clasping classing clic clif clin clio clit cloaking clocking
    clogging cloning clop closings clothing clotting clouding clowning cloying coder colander colfer collider
    colorfully coloring colter congrats contract contracts contralto contrary contras contrasted contrasts cooker
    cooled coolers cooley cooper cooter corder crip crips crossing darken darter delegate deleted deletes deplete
    depleted depletes encoding endings endowing enduring falter fasted fasten fastener fatter fester fifths fifty
    filth finale finals finaly fingal finial firs firsts firth fist fister forth foster fourthly fourths fourty
    furth here heres heuer hora horan horizontally horizonte horns hors horus hour hoyas inert insect inserted
    inserts inset invert lait landscaped landscaper landscapers landscapes langer lash lass lasts lats least lest
    linger list lodger logger loner longed longterm lost lounger loungers lsat lust mace made mage mahe maka maker
    makes maki mako maks male mame mane mare marke mase mate maye maze meddle middles mike minato minister minot
    mint minto minty minuet minuets minus minuses minutely minuteman minutemen minutia minutiae mode moke mole mone
    mope more mose mote motioned motions moved mover moves movie muddle musica musics musik narrated narrates
    narrating narrations narrative narrators obit openings opining opposition orbis orbits pease petition pleas
    pleased pleaser pleasers pleases pleasure portraits portrays positano positing positional positioned positions
    positive positron positrons regenerated regenerates regenerative rehearse remote removed remover removers
    removes replaced replaces replayed revere reverie reveries reversal reversed reverses reverted satiated saturate
    saturates sayle scent scents sciences scone scones scot scots scowling seconded seconding secondly secondment
    segunda shadowing shap shat shaw shew shit shits shocking shod shoe shoeing shoes shon shoo shoot shooter
    shooters shooting shoots shop shopping shops shoring short shorted shorten shortens shortest shorties shorting
    shorts shota shoulda shoulder shouldn shouldnt shouldve shout shouting shouts shoving showa shower showering
    showings shown shows showy shox shut shuts sikander sitch sith situated sixty skene slap slaw slew slob sloe
    slog slop slot slots slowed slowing slows smart snap snitch snot snow snowing soap solow soot sorter sower
    sowing sportier spot spots squared squarely squares squire stadt stale stap star starc stare stark starr stars
    starts starz stat statics statin stele stile stitch stole stow stowing strat stuart sturt styled styler styles
    swab swag swam swamp swan swapo swaps swart swat swatch sway switched switcher switches swot tarn tern thirds
    tila tile till tilts tint tithe titled titles tittle torn tuan tura turan turd ture turf turin turk turns
    vertically verticals vertices vice vivi vivir voce voiced voiceovers voices voile waite warder warmed warmers
    warner while whine whiten whiter whites whitey whitt whyte write zook zool zooms zoos zoot
    """.split()
)

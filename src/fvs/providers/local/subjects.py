"""Recurring subjects of a screenplay: who or what every keyframe must draw the same way.

A subject is a named character ("Mara", "Captain Ahab": capitalised words that act in
a sentence, not "The" or "Rain" opening one), a noun phrase whose head is a person,
creature or object we know ("a young woman", "an old lighthouse keeper in a red coat",
"a red fox"), or any other noun phrase that acts ("the ferryman sings"). It recurs when
two or more beats mention it: by name, by its noun, or by a pronoun that fits it.
Rules only, so the same screenplay always gives the same subjects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fvs.providers.base import MAX_SUBJECTS


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Head noun -> pronoun class ("she", "he", "they" for people of unknown gender, or "it").
SUBJECT_TEXT = (
    "she:woman,girl,lady,queen,princess,mother,daughter,sister,witch,grandmother,grandma,aunt,"
    "niece,wife,bride,nun,actress,waitress,heroine,ballerina,mermaid "
    "he:man,boy,king,prince,father,son,brother,wizard,monk,grandfather,grandpa,uncle,nephew,"
    "husband,groom,fisherman,cowboy,gentleman,priest "
    "they:person,child,kid,figure,stranger,traveler,traveller,explorer,detective,soldier,dancer,"
    "astronaut,pilot,scientist,knight,musician,runner,hero,warrior,student,doctor,robot,"
    "keeper,sailor,farmer,captain,nurse,teacher,chef,cook,driver,worker,guard,officer,thief,"
    "hunter,writer,poet,singer,clown,baker,miner,sheriff,pirate,ghost,giant,elf,alien,vampire,"
    "zombie,neighbour,neighbor,friend,courier,messenger,artist,painter,photographer,climber,"
    "diver,skater,surfer,hiker,wanderer,refugee,survivor,prisoner,guardian,engineer,mechanic "
    "it:dog,cat,fox,wolf,bird,horse,dragon,owl,deer,whale,rabbit,tiger,lion,bear,butterfly,fish,"
    "creature,car,ship,boat,train,balloon,drone,lantern,kite,mouse,crow,raven,snake,frog,spider,"
    "elephant,monkey,shark,dolphin,octopus,unicorn,beast,monster,puppy,kitten,pony,goat,eagle,"
    "hawk,gull,seagull,turtle,squirrel,moth,beetle,bicycle,bike,motorcycle,truck,bus,taxi,"
    "plane,airplane,rocket,spaceship,submarine,umbrella,suitcase,clock,doll"
)
SUBJECT_NOUNS = {
    n: kind for kind, ns in (g.split(":") for g in SUBJECT_TEXT.split()) for n in ns.split(",")
}
# Pronoun -> (its words, the subject classes it may point at).
PRONOUNS = {
    "she": (r"she|her|hers|herself", ("she", "they")),
    "he": (r"he|him|his|himself", ("he", "they")),
    "they": (r"they|them|their|themselves", ("plural", "they")),
    "it": (r"it|its|itself", ("it",)),
}
SUBJECT_PHRASE = re.compile(
    rf"\b(a|an|the)\s+((?:[a-z'-]+\s+){{0,2}}?)({'|'.join(SUBJECT_NOUNS)})(s?)\b", re.I
)
NOT_MODIFIERS = _wordset("a an the of in into to and with on at one her his as through from by")
DETERMINERS = "a|an|the|this|that|his|her|its|their|our|my|your"
# Nouns that act in sentences without being anything a keyframe could draw the same way.
NOT_SUBJECTS = _wordset(
    "camera shot scene frame view angle lens image sun moon sky wind breeze air fog mist smoke "
    "steam dust haze cloud storm thunder lightning water light darkness silence sound music noise "
    "voice world day morning evening afternoon time moment story end beginning mood atmosphere "
    "colour color tone weather season year hour minute second sunrise sunlight moonlight "
    "everything nothing something someone anyone everyone nobody somebody traffic"
)
# Capitalised words that open sentences but never name a character.
NOT_NAMES = NOT_MODIFIERS | _wordset(
    "then as while when after before now suddenly slowly later meanwhile finally inside outside "
    "above below behind beyond here there this that these those all some many few no not yes "
    "our my your we you i its their it she he they them if but or so yet for nor without upon "
    "onto along around among beneath between toward towards past until once twice together "
    "alone still only just even each every far near soon again cut fade close wide int ext "
    "somewhere elsewhere everywhere nearby overhead today tonight yesterday tomorrow "
    "monday tuesday wednesday thursday friday saturday sunday"
)
# Words that describe a noun rather than name one ("the old boots" is not about "old").
ADJECTIVES = _wordset(
    "old young little small big tall short long new dark bright tiny huge great tired lonely "
    "lone pale deep wide narrow empty quiet distant strange lost other same last first next"
)
ADJECTIVE_ENDINGS = ("ful", "ous", "ive", "less", "ish", "ing", "ed", "est", "ly")
TITLES = _wordset(
    "captain doctor dr mr mrs ms miss professor officer detective sister brother aunt uncle "
    "grandma grandpa old little lady lord sir king queen prince princess saint st"
)
# A capitalised word after these names a place or a thing ("in Paris", "the Titanic").
PLACE_WORDS = _wordset(
    "a an the in at from of into inside outside across through near over under above below "
    "beyond around along past within"
)
PREPOSITIONS = PLACE_WORDS | _wordset(
    "on to by for with wearing carrying holding clutching toward towards onto upon like about "
    "against behind beside between"
)
AUXILIARIES = _wordset("is was has had can will would could must may might does did")
ATTRIBUTE = re.compile(r" ((?:in|wearing|dressed in|carrying|holding|clutching|with) (?:a|an))\b")
WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*")
NEVER_NAMES = NOT_NAMES | NOT_SUBJECTS | set(SUBJECT_NOUNS)
NEVER_HEADS = NOT_MODIFIERS | set(SUBJECT_NOUNS)
NAME_RUN = re.compile(r"\b[A-Z][a-z]+(?:[A-Z'\u2019-][A-Za-z]+)*")


@dataclass
class Candidate:
    """A subject the screenplay may recur: how to name it and how to find it in a beat."""

    key: str  # stable slug, e.g. "mara", "old-lighthouse-keeper"
    description: str  # e.g. "Mara, a person", "an old lighthouse keeper in a red coat"
    label: str  # how notes name it: "Mara", "the old lighthouse keeper"
    kind: str  # she | he | they | it | plural
    first: tuple[int, int]  # (beat, position) of its first mention
    patterns: list[re.Pattern[str]] = field(default_factory=list)
    beats: set[int] = field(default_factory=set)
    described: bool = True  # False for a name nothing has described yet


def modifiers(words: str) -> list[str]:
    """The descriptive words just before a noun, dropping anything before a function word."""
    kept: list[str] = []
    for word in words.lower().split():
        kept = [] if word in NOT_MODIFIERS else kept + [word]
    return kept


def _verb_like(word: str) -> bool:
    """Whether a lowercase word reads as a verb in the present or past tense ("waits")."""
    if word in AUXILIARIES:
        return True
    if not word.isalpha() or not word.islower() or len(word) < 3:
        return False
    if word.endswith("ed"):
        return len(word) >= 5 and not word.endswith("eed")  # "turned", not "red" or "seed"
    return word.endswith("s") and not word.endswith(("ss", "us", "is"))


def _acts(after: str) -> bool:
    """Whether the text right after a noun or name shows it acting: a verb, maybe after -ly."""
    words = re.match(r" ([a-z]+)(?: ([a-z]+))?", after)
    if words is None:
        return False
    first, second = words.group(1), words.group(2) or ""
    return _verb_like(first) or (first.endswith("ly") and _verb_like(second))


def _noun_pattern(noun: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{DETERMINERS})\s+(?:[a-z'-]+\s+){{0,3}}?{noun}(?:s|es)?\b", re.I)


def _article(phrase: str) -> str:
    return "an " if phrase[0] in "aeiou" else "a "


def _tail(beat: str, end: int, ignore: frozenset[str]) -> str:
    """What the subject wears or carries ("in a red coat"), unless that names a place."""
    match = ATTRIBUTE.match(beat, end)
    if match is None:
        return ""
    run = re.match(r"(?: [a-z'-]+)+", beat[match.end() :])
    words = []
    for word in run.group().split()[:3] if run else []:
        if _verb_like(word) or word in NOT_MODIFIERS:
            break
        words.append(word)
    if not words or words[-1] in ignore or words[-1] in NOT_SUBJECTS:
        return ""
    return " ".join([match.group(1), *words])


def _phrase(
    words: list[str], noun: str, tail: str, *, kind: str, first: tuple[int, int]
) -> Candidate:
    """A candidate for a noun phrase such as "an old lighthouse keeper in a red coat"."""
    phrase = " ".join([*words, noun + ("s" if kind == "plural" else "")])
    lead = "" if kind == "plural" else _article(phrase)
    return Candidate(
        key=phrase.replace(" ", "-"),
        description=lead + phrase + (f" {tail}" if tail else ""),
        label=f"the {phrase}",
        kind=kind,
        first=first,
        patterns=[_noun_pattern(noun)],
    )


def _could_head(word: str, ignore: frozenset[str]) -> bool:
    """Whether a word could be the noun of a phrase we do not know ("ferryman")."""
    return (
        re.fullmatch(r"[a-z]{3,}", word) is not None
        and word not in NOT_MODIFIERS | ADJECTIVES | NOT_SUBJECTS | ignore
        and not word.endswith(ADJECTIVE_ENDINGS)
    )


class _Finder:
    """Collects candidates beat by beat; a noun or name found again is the same candidate."""

    def __init__(self, ignore: frozenset[str]) -> None:
        self.ignore = ignore
        self.found: dict[str, Candidate] = {}  # by head noun or name word

    def add(self, alias: str, candidate: Candidate) -> Candidate:
        """The candidate already found under this noun or name, else this new one."""
        return self.found.setdefault(alias, candidate)

    def known_phrases(self, index: int, beat: str, taken: set[int]) -> None:
        """Noun phrases whose head we know: "a young woman", "the red fox"."""
        for match in SUBJECT_PHRASE.finditer(beat):
            if match.start() in taken:
                continue
            noun = match.group(3).lower()
            kind = "plural" if match.group(4) else SUBJECT_NOUNS[noun]
            tail = _tail(beat, match.end(), self.ignore)
            first = (index, match.start())
            self.add(noun, _phrase(modifiers(match.group(2)), noun, tail, kind=kind, first=first))

    def acting_phrases(self, index: int, beat: str) -> None:
        """Other noun phrases that act: "the ferryman sings", "a keeper in a red coat"."""
        for article in re.finditer(r"\b(?:a|an|the) ", beat, re.I):
            before = beat[: article.start()].split()[-1:]
            if before and before[0].lower() in PREPOSITIONS:
                continue  # "in a red coat" dresses someone; it does not act
            found = _acting_phrase(beat, article.end(), self.ignore)
            if found is not None:
                words, head, tail = found
                kind = "they" if head.endswith(("man", "er", "ist", "ian", "ess")) else "it"
                first = (index, article.start())
                self.add(
                    head, _phrase(modifiers(" ".join(words)), head, tail, kind=kind, first=first)
                )

    def names(self, index: int, beat: str) -> set[int]:
        """Named characters; returns where their appositives ("Mara, a young woman") start."""
        appositives = set()
        for start, end, tokens in _name_runs(beat):
            if not _names_someone(beat, start, end, tokens, self.ignore):
                continue
            name = " ".join(tokens)
            words = [t for t in tokens if t.lower() not in TITLES] or tokens
            known = next((self.found[w] for w in words if w in self.found), None)
            entry = known or self.add(name, _named(name, words, first=(index, start)))
            for word in words:
                self.found.setdefault(word, entry)
            appositives |= self._appositive(beat, end, entry)
        return appositives

    def _appositive(self, beat: str, end: int, entry: Candidate) -> set[int]:
        """An appositive describes the name before it; "the woman" then means Mara too."""
        match = SUBJECT_PHRASE.match(beat, end + 2) if beat.startswith(", ", end) else None
        if match is None or match.group(1).lower() == "the" or match.group(4):
            return set()
        if not entry.described:
            noun = match.group(3).lower()
            phrase = " ".join([*modifiers(match.group(2)), noun])
            entry.description = f"{entry.label}, {_article(phrase)}{phrase}"
            entry.kind, entry.described = SUBJECT_NOUNS[noun], True
            entry.patterns.append(_noun_pattern(noun))
            self.found.setdefault(noun, entry)
        return {match.start()}


def _named(name: str, words: list[str], *, first: tuple[int, int]) -> Candidate:
    """A candidate for a named character, found again by any word of its name but a title."""
    return Candidate(
        key=re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
        description=f"{name}, a person",
        label=name,
        kind="they",
        first=first,
        patterns=[re.compile(rf"\b(?:{'|'.join(map(re.escape, words))})\b")],
        described=False,
    )


def _acting_phrase(
    beat: str, start: int, ignore: frozenset[str]
) -> tuple[list[str], str, str] | None:
    """(modifiers, noun, attire) of the phrase at `start`, if its noun acts or is dressed."""
    end, words = start, list[str]()
    for word in WORD.finditer(beat, start):
        head = word.group()
        if word.start() != end or len(words) > 3 or head.lower() in NEVER_HEADS:
            return None
        tail = _tail(beat, word.end(), ignore)
        if _could_head(head, ignore) and (tail or _acts(beat[word.end() :])):
            return words, head, tail
        words.append(head)
        end = word.end() + 1
    return None


def _name_runs(beat: str) -> list[tuple[int, int, list[str]]]:
    """Runs of capitalised words ("Captain Ahab") as (start, end, words); "Then" stands alone."""
    runs: list[tuple[int, int, list[str]]] = []
    for word in NAME_RUN.finditer(beat):
        text = re.sub(r"['\u2019]s$", "", word.group())  # "Mara's" is Mara, owning
        end = word.start() + len(text)
        joins = bool(runs) and beat[runs[-1][1] : word.start()] == " "
        if joins and text.lower() not in NOT_NAMES and runs[-1][2][-1].lower() not in NOT_NAMES:
            start, _, tokens = runs[-1]
            runs[-1] = (start, end, [*tokens, text])
        else:
            runs.append((word.start(), end, [text]))
    return runs


def _names_someone(
    beat: str, start: int, end: int, tokens: list[str], ignore: frozenset[str]
) -> bool:
    """A run of capitalised words names a character when it acts, owns or is described."""
    core = {t.lower() for t in tokens} - TITLES
    if not core or core & (NEVER_NAMES | ignore):
        return False
    before = beat[:start].split()
    if before and before[-1].lower() in PLACE_WORDS:
        return False
    after = beat[end:]
    return (
        after.startswith(("'s", "\u2019s"))
        or re.match(r", (?:(?:a|an|the) [^,.;!?]+,|who\b)", after) is not None
        or re.match(r" and [A-Z][a-z]", after) is not None
        or re.search(r"[A-Z][a-z]+ and $", beat[:start]) is not None
        or _acts(after)
    )


def _attach_pronouns(beats: list[str], found: list[Candidate]) -> None:
    """Count a beat that refers to a subject by pronoun as a beat the subject appears in."""
    for index, beat in enumerate(beats):
        for words, fits in PRONOUNS.values():
            if not re.search(rf"\b(?:{words})\b", beat, re.I):
                continue
            seen = [
                (max(b for b in c.beats if b <= index), -order, order)
                for order, c in enumerate(found)
                if c.kind in fits and c.beats and min(c.beats) <= index
            ]
            if seen:
                found[max(seen)[2]].beats.add(index)


def find_recurring(beats: list[str], ignore: frozenset[str] = frozenset()) -> list[Candidate]:
    """Recurring subjects, first mentioned first, at most MAX_SUBJECTS.

    `ignore` holds nouns that name places or light, never subjects ("platform", "rain").
    """
    finder = _Finder(ignore)
    for index, beat in enumerate(beats):
        appositives = finder.names(index, beat)
        finder.known_phrases(index, beat, appositives)
        finder.acting_phrases(index, beat)
    found = sorted({id(c): c for c in finder.found.values()}.values(), key=lambda c: c.first)
    for candidate in found:
        candidate.beats = {
            i for i, beat in enumerate(beats) if any(p.search(beat) for p in candidate.patterns)
        }
    _attach_pronouns(beats, found)
    # A one-shot plan has nothing to recur into, so its subjects count as they are.
    kept = [c for c in found if len(c.beats) >= 2 or len(beats) == 1][:MAX_SUBJECTS]
    keys: set[str] = set()
    for candidate in kept:
        while candidate.key in keys:
            candidate.key += "-2"
        keys.add(candidate.key)
    return kept

"""The surface forms under which an entity's aliases are looked for in news text.

People: "SHOIGU, Sergei Kuzhugetovich" gives "sergei kuzhugetovich shoigu", "sergei shoigu",
"shoigu sergei kuzhugetovich" (strong) and "shoigu" (surname only: weak, needs support);
given names and surnames are crossed over the entity's aliases, so "Sergey Shoygu" and
"Sergei Shoygu" are found too. Korean names are also indexed under the loose romanisation
key the text side uses for Hangul ("KIM, Jong Un" meets 김정은). Organisations: the alias,
and the alias without its legal form ("ALFA-BANK JSC" -> "alfa bank"). Single words,
short aliases, vessel and aircraft names, aliases made of everyday words and aliases the
list marks weak are weak: they count only with support.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

from rapidfuzz import fuzz
from wordfreq import zipf_frequency

from monitor.matching.normalise import korean_key, normalise_name
from monitor.matching.types import AliasSpec
from monitor.matching.words import LEGAL_FORMS, common_words, word_set

# form kinds (ordered by strength)
STRONG = 0  # a full name or distinctive alias: counts on its own
CAPS = 1  # short acronym: counts when written in capitals in the original
WEAK = 2  # counts after an earlier strong mention of the same entity
SURNAME = 3  # a person's surname alone: earlier mention, or a title just before it
VESSEL = 4  # a vessel's or aircraft's name: earlier mention, or "tanker", "vessel"... just before it
DISTINCT = 5  # a surname that is no English word and (nearly) only one listed person has: "Putin"
ORGSHORT = 6  # the quoted short name of an organisation ("Wagner"): with "group", "fighters", "chief"...

# A bare surname among the most frequent English words ("Said", "Brown", "John") is dropped;
# a single-word company alias among the top words is not distinctive; nor is an alias
# whose words all are.
SURNAME_STOP_TOP = 2500
EVERYDAY_NAME_TOP = 300  # "said", "than", "which": never half of a two-part name on their own
SECONDARY_ZIPF = 2.0  # a secondary one-word alias of an organisation known to English ("Baikal" 2.4)
DISTINCT_TOP = 5000
EVERYDAY_TOP = 20000
PRIMARY_ZIPF = 3.8  # "Hamas" 3.6, "Taliban" 3.7 count; "plasma" 3.95 does not
RARE_ZIPF = 2.7  # "Rosneft" 2.3, "Gazprom" 2.6 count; "Mirza" 2.9, "PPI" 2.9 do not

PERSON_SCHEMAS = frozenset({"person", "individual"})
VESSEL_SCHEMAS = frozenset({"vessel", "aircraft", "airplane"})
_PATRONYMIC = re.compile(r"(ovich|evich|ivich|ovna|evna|ichna|vich|ogly|oglu|kyzy|uly)$")
_KOREAN_SURNAMES = word_set(
    """
    kim ri pak park choe choi jo cho han kang yun jang jong chon hwang an o so song hong mun ryu yu sin ko
    """
)
MAX_CROSS = 8


@dataclass(frozen=True)
class Form:
    """One normalised surface form of one entity and how strong it is on its own."""

    key: str
    kind: int
    confidence: float


def is_person(schema: str) -> bool:
    """True for person-like schemas."""
    return schema.casefold() in PERSON_SCHEMAS


def _is_korean(spec: AliasSpec, surnames: set[str]) -> bool:
    if any(p.upper().startswith("DPRK") for p in spec.programs) or any(c in ("KP", "KR") for c in spec.countries):
        return True
    return bool(surnames) and all(s in _KOREAN_SURNAMES for s in surnames)


def _common(tokens: list[str]) -> bool:
    common = common_words(DISTINCT_TOP)
    return all(t in common or t.isdigit() or len(t) <= 2 for t in tokens)


def _split_person(alias: str, korean: bool = False) -> tuple[list[str], list[str]]:
    """(given tokens, surname tokens) of a person's alias: "SURNAME, Given", a surname written
    in capitals among mixed-case words ("Jong Un KIM"), Korean order for Korean names ("Kim
    Jong Un"), else the last word."""
    if "," in alias:
        last, _, rest = alias.partition(",")
        return normalise_name(rest).split(), normalise_name(last).split()
    tokens = normalise_name(alias).split()
    if len(tokens) < 2:
        return [], tokens
    words = alias.split()
    caps = [i for i, w in enumerate(words) if w.isupper() and len(w) > 1]
    if (len(words) == len(tokens) and caps and len(caps) < len(words) and caps[-1] - caps[0] == len(caps) - 1
            and not any(w.isupper() for i, w in enumerate(words) if i not in caps)):
        # "Diana ESPINOZA AGUILAR", "ESPINOZA AGUILAR Diana": the capitals are the surname
        i, j = caps[0], caps[-1] + 1
        return tokens[:i] + tokens[j:], tokens[i:j]
    if korean and tokens[0] in _KOREAN_SURNAMES:
        return tokens[1:], tokens[:1]
    return tokens[:-1], tokens[-1:]


def person_forms(specs: list[AliasSpec]) -> list[Form]:
    """All forms of one person from all of their aliases."""
    forms: dict[str, Form] = {}

    stop = common_words(SURNAME_STOP_TOP)
    everyday = common_words(EVERYDAY_NAME_TOP)

    def add(tokens: list[str], kind: int, confidence: float) -> None:
        key = " ".join(tokens)
        if len(key) < 3 or (kind == STRONG and len(tokens) < 2):
            kind = max(kind, WEAK if len(tokens) > 1 else SURNAME)
        if kind == STRONG and len(tokens) == 2 and (tokens[0] in everyday or tokens[1] in everyday):
            # "Khan said", "than Charlie": a two-part name with an everyday word in it is a
            # sentence as often as a name
            kind = WEAK
        if len(key.replace(" ", "")) < 3 or (len(tokens) == 1 and key in stop):
            return
        old = forms.get(key)
        if old is None or (old.kind, -old.confidence) > (kind, -confidence):
            forms[key] = Form(key, kind, confidence)

    firsts: set[str] = set()
    surnames: set[str] = set()
    first_surnames: dict[str, set[str]] = {}
    parts = []
    korean_list = bool(specs) and _is_korean(specs[0], set())
    for spec in specs:
        given, surname = _split_person(spec.alias, korean_list)
        if not surname:
            continue
        parts.append((given, surname, spec.weak, "," in spec.alias))
        surnames.add(" ".join(surname))
        if given and not spec.weak:
            firsts.add(given[0])
            first_surnames.setdefault(given[0], set()).add(" ".join(surname))
    korean = bool(specs) and _is_korean(specs[0], surnames)
    # surnames of the entity's multi-part names: a bare one may be supported by a title
    real_surnames = {" ".join(s) for g, s, _w, _c in parts if g}
    # the surnames the list writes as "SURNAME, Given": when it does, the last word of an
    # unstructured alias ("EL DIABLITO DE HOLLYWOOD", "Comrade Olga") is no surname
    structured = {" ".join(s) for g, s, _w, comma in parts if g and comma}
    for given, surname, weak, _comma in parts:
        base = WEAK if weak else STRONG
        if not given:
            # a one-word alias ("Jean", "Chavez", "Hollywood") is a nickname: only an earlier
            # full mention supports it, never a title ("Euronext chief Jean-Francois")
            single = len(surname) == 1 and " ".join(surname) not in real_surnames
            add(surname, WEAK if (len(surname) > 1 and not weak) or single else SURNAME, 0.8)
            continue
        add(given + surname, base, 1.0)
        if korean or (len(given) == 1 and given[0] not in common_words(DISTINCT_TOP)):
            # "Wang Jian", "Putin Vladimir": surname-first order is common for short names only
            # ("Shoigu Sergei Kuzhugetovich" is list style, never news)
            add(surname + given, base, 0.95)
        if len(given) > 1 and not korean:
            add(given[:1] + surname, base, 0.95)
            if _PATRONYMIC.search(given[1]):
                # "Vladimir V. Putin": first name, initial of the patronymic, surname (news style)
                add([given[0], given[1][0], *surname], base, 0.9)
            middle = [t for t in given[1:] if not _PATRONYMIC.search(t)]
            if middle and len(given) > 2:
                add(given[:1] + middle + surname, base, 0.9)
        if korean:
            add(korean_key(" ".join(surname + given)).split(), base, 0.95)
            add(korean_key(" ".join([*surname, "".join(given)])).split(), base, 0.9)
        if len(" ".join(surname)) >= 3 and (not structured or " ".join(surname) in structured):
            add(surname, SURNAME, 0.85)
    slavic = bool(specs) and _is_slavic(specs[0])
    if not korean:
        crossed = 0
        for first in sorted(firsts):
            for variant in given_name_variants(first) if slavic else ():
                for surname_key in sorted(surnames)[:2]:
                    add([variant, *surname_key.split()], STRONG, 0.85)
            for surname_key in sorted(surnames):
                # cross given names only over spellings of one surname (Shoigu / Shoygu), not
                # over unrelated aliases of the entity
                if crossed >= MAX_CROSS or not any(_same_name(surname_key, s) for s in first_surnames[first]):
                    continue
                add([first, *surname_key.split()], STRONG, 0.9)
                crossed += 1
    return list(forms.values())


# Romanisations of Slavic given names differ in a few endings and letters: Yevgeny / Yevgeniy /
# Evgeny / Evgeniy, Sergei / Sergey, Dmitry / Dmitriy, Alexander / Aleksandr, Alexei / Aleksey.
_ENDINGS = (("iy", ("y", "i")), ("ii", ("y", "iy")), ("ey", ("ei", "y")), ("ei", ("ey",)), ("y", ("iy", "i")))


_SLAVIC_PROGRAMS = ("RUSSIA", "UKRAINE", "BELARUS", "MAGNIT", "CAATSA", "CYBER")
_SLAVIC_COUNTRIES = frozenset({"RU", "BY", "UA", "KZ", "KG", "UZ", "TJ", "TM", "AM", "AZ", "GE", "MD", "RS", "BG"})


def _is_slavic(spec: AliasSpec) -> bool:
    return any(p.upper().startswith(_SLAVIC_PROGRAMS) for p in spec.programs) or any(
        c in _SLAVIC_COUNTRIES for c in spec.countries)


def given_name_variants(first: str) -> list[str]:
    """Other common spellings of a (Slavic) given name, at most four."""
    if len(first) < 4:
        return []
    out: list[str] = []
    stems = [first]
    if first.startswith("ye"):
        stems.append(first[1:])
    elif first.startswith("e") and len(first) > 4:
        stems.append("y" + first)
    if "ks" in first:
        stems.append(first.replace("ks", "x"))
    elif "x" in first:
        stems.append(first.replace("x", "ks"))
    if first.endswith("andr"):
        stems.append(first.replace("ks", "x")[:-1] + "er")  # Aleksandr -> Alexander
    for stem in stems:
        if stem != first:
            out.append(stem)
        for ending, others in _ENDINGS:
            if stem.endswith(ending):
                out.extend(stem[: -len(ending)] + other for other in others)
                break
    return [v for v in dict.fromkeys(out) if v != first][:4]


def _same_name(a: str, b: str) -> bool:
    """Two spellings of one name: same start and close (Shoigu / Shoygu, Yevgeniy / Evgeny)."""
    return a == b or (a[:1] == b[:1] and abs(len(a) - len(b)) <= 2 and fuzz.ratio(a, b) >= 70)


def _strip_legal(tokens: list[str]) -> list[str]:
    out = list(tokens)
    while out and out[-1] in LEGAL_FORMS:
        out.pop()
    while out and out[0] in LEGAL_FORMS:
        out.pop(0)
    return out


_QUOTE_CHARS = "'\"\u2018\u2019\u201c\u201d\u00ab\u00bb"
_QUOTED = re.compile(f"[{_QUOTE_CHARS}]([^{_QUOTE_CHARS}]{{3,60}})[{_QUOTE_CHARS}]")


def _zipf(word: str) -> float:
    return float(zipf_frequency(word, "en"))


def thing_forms(specs: list[AliasSpec]) -> list[Form]:
    """All forms of an organisation, vessel or other non-person entity.

    A single word counts on its own only when it is no English word: the entity's own full
    name up to the frequency of "Hamas" or "Taliban", any other alias or a name left once the
    legal form is cut ("JSC ENERGIES" -> "energies", "MIRZA COMPANY" -> "mirza") only when rare
    ("Rosneft", "Sberbank"). Short acronyms count in capitals unless they are common ("PPI").
    Several words that are all everyday words ("TACTICAL MISSILES CORPORATION" -> "tactical
    missiles") need support too.
    """
    forms: dict[str, Form] = {}
    vessel = bool(specs) and specs[0].schema.casefold() in VESSEL_SCHEMAS
    primary = normalise_name(specs[0].caption) if specs else ""

    def add(tokens: list[str], weak: bool, confidence: float, derived: bool) -> None:
        key = " ".join(tokens)
        letters = key.replace(" ", "")
        if len(letters) < 3:
            return
        if vessel:
            kind = VESSEL
        elif weak:
            kind = WEAK
        elif len(tokens) == 1:
            if letters.isdigit():
                kind = WEAK
            elif len(letters) <= 4:
                kind = CAPS if _zipf(key) < RARE_ZIPF else WEAK
            else:
                limit = PRIMARY_ZIPF if key == primary and not derived else RARE_ZIPF
                if key != primary and not primary.startswith(key + " ") and not derived:
                    # a brand or other one-word alias that is not the organisation's own name
                    # ("Baikal" of IZHEVSKY MEKHANICHESKY ZAVOD: a lake, a finance group) needs
                    # support unless English text never uses the word ("Rosoboronexport")
                    limit = SECONDARY_ZIPF
                kind = STRONG if _zipf(key) < limit else WEAK
        elif derived:
            kind = WEAK if all(t in common_words(EVERYDAY_TOP) or len(t) <= 2 for t in tokens) else STRONG
        else:
            kind = WEAK if _common(tokens) else STRONG
        old = forms.get(key)
        if old is None or (old.kind, -old.confidence) > (kind, -confidence):
            forms[key] = Form(key, kind, confidence)

    for spec in specs:
        tokens = normalise_name(spec.alias).split()
        if not tokens:
            continue
        add(tokens, spec.weak, 1.0, derived=False)
        stripped = _strip_legal(tokens)
        if stripped and stripped != tokens:
            add(stripped, spec.weak, 0.95, derived=True)
        if not vessel:
            for quoted in _QUOTED.findall(spec.alias):
                # PRIVATE MILITARY COMPANY 'WAGNER' is "Wagner" in news, next to group, fighters...
                short = normalise_name(quoted)
                if short and short != " ".join(tokens) and len(short) >= 4 and short not in forms:
                    forms[short] = Form(short, ORGSHORT, 0.85)
    return list(forms.values())


def entity_forms(specs: list[AliasSpec]) -> list[Form]:
    """Forms of one entity (all specs share its entity_id)."""
    if not specs:
        return []
    if is_person(specs[0].schema):
        return person_forms(specs)
    return thing_forms(specs)


def group_by_entity(aliases: Iterable[AliasSpec]) -> Iterator[tuple[str, list[AliasSpec]]]:
    """Runs of consecutive aliases of one entity (streamed: a million aliases are never all in
    memory at once; the database and the loaders yield them entity by entity)."""
    for entity_id, group in groupby(aliases, key=attrgetter("entity_id")):
        yield entity_id, list(group)

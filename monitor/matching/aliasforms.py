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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import groupby, product
from operator import attrgetter

from rapidfuzz import fuzz

from monitor import resources
from monitor.matching.normalise import korean_key, normalise_name
from monitor.matching.tuning import (
    ARABIC_VARIANT_ZIPF,
    CONF_DERIVED,
    CONF_FURTHER,
    CONF_LISTED,
    CONF_NEAR,
    CONF_NICKNAME,
    DISTINCT_TOP,
    EVERYDAY_NAME_TOP,
    EVERYDAY_TOP,
    HISPANIC_SHORT_ZIPF,
    MAX_CROSS,
    MAX_KOREAN_VARIANTS,
    MAX_RESPELLED_WORDS,
    MAX_SPELLINGS,
    MAX_VARIANT_FORMS,
    OWN_VARIANT_ZIPF,
    PRIMARY_ZIPF,
    RARE_ZIPF,
    RESPELLED_CONFIDENCE,
    SECONDARY_ZIPF,
    SURNAME_STOP_TOP,
)
from monitor.matching.types import AliasSpec
from monitor.matching.words import (
    ARABIC_PARTICLES,
    FACILITY_HEADS,
    FACILITY_WORDS,
    KOREAN_SURNAMES,
    LEGAL_FORMS,
    SURNAME_PARTICLES,
    common_words,
)

# form kinds (ordered by strength)
STRONG = 0  # a full name or distinctive alias: counts on its own
CAPS = 1  # short acronym: counts when written in capitals in the original
WEAK = 2  # counts after an earlier strong mention of the same entity
SURNAME = 3  # a person's surname alone: earlier mention, or a title just before it
VESSEL = 4  # a vessel's or aircraft's name: earlier mention, or "tanker", "vessel"... just before it
DISTINCT = 5  # a surname that is no English word and (nearly) only one listed person has: "Putin"
ORGSHORT = 6  # the quoted short name of an organisation ("Wagner"): with "group", "fighters", "chief"...

PERSON_SCHEMAS = frozenset({"person", "individual"})
VESSEL_SCHEMAS = frozenset({"vessel", "aircraft", "airplane"})
_PATRONYMIC = re.compile("(?:" + "|".join(resources.patronymic_endings()) + ")$")
# Korean vowels with more than one common spelling: the vowel of "Jong" / "Jeong" / "Jung"
# (McCune-Reischauer o-breve, Revised eo, popular u before a final consonant), of "Un" / "Eun"
# (u-breve or eu), of "Yo" / "Yeo"; a listed spelling may be any of them
_KOREAN_VOWEL = re.compile(r"^([^aeiouwy]*)(yeo|yo|eo|eu|o|u)([^aeiouwy]*)$")


def korean_given_variants(given: list[str]) -> list[list[str]]:
    """Other romanisations of a Korean given name, a syllable a token ("jong un" -> "jung un",
    "jeong eun"...): each syllable's vowel respelled, at most eight names, the listed one first."""
    options: list[list[str]] = []
    for syllable in given:
        m = _KOREAN_VOWEL.match(syllable)
        if not m:
            options.append([syllable])
            continue
        head, vowel, coda = m.groups()
        if vowel in ("o", "eo"):
            # "u" for this vowel only before a final consonant ("Jung", "Sung", "Chul"); an open
            # "u" is another vowel ("Yu" is not "Yo")
            spellings = ["o", "eo", "u"] if coda else ["o", "eo"]
        elif vowel in ("yo", "yeo"):
            spellings = ["yo", "yeo"]
        else:  # "u", "eu"
            spellings = ["u", "eu"]
        out = [syllable] + [head + v + coda for v in spellings if head + v + coda != syllable]
        options.append(out)
    names: list[list[str]] = [[]]
    for opts in options:
        names = [[*name, o] for name in names for o in opts]
    return names[:MAX_KOREAN_VARIANTS + 1]


@dataclass(frozen=True)
class Form:
    """One normalised surface form of one entity and how strong it is on its own."""

    key: str
    kind: int
    confidence: float
    short_of: str = ""  # a Spanish name without its second surname: the first surname it keeps
    proper: bool = False  # a name of everyday words ("ISLAMIC STATE"): counts written as a name


def is_person(schema: str) -> bool:
    """True for person-like schemas."""
    return schema.casefold() in PERSON_SCHEMAS


def _is_korean(spec: AliasSpec, surnames: set[str]) -> bool:
    if resources.in_culture("korean", spec.countries, spec.programs):
        return True
    return bool(surnames) and all(s in KOREAN_SURNAMES for s in surnames)


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
    # a hyphen joins two words of one part ("AL-ASSAD Bashar": the surname is both)
    words = [w for w in re.split(r"[\s\-\u2010]+", alias) if w]
    caps = [i for i, w in enumerate(words) if w.isupper() and len(w) > 1]
    if (len(words) == len(tokens) and caps and len(caps) < len(words) and caps[-1] - caps[0] == len(caps) - 1
            and not any(w.isupper() for i, w in enumerate(words) if i not in caps)):
        # "Diana ESPINOZA AGUILAR", "ESPINOZA AGUILAR Diana": the capitals are the surname
        i, j = caps[0], caps[-1] + 1
        return tokens[:i] + tokens[j:], tokens[i:j]
    if korean and tokens[0] in KOREAN_SURNAMES:
        return tokens[1:], tokens[:1]
    return tokens[:-1], tokens[-1:]


def given_names(specs: list[AliasSpec]) -> set[str]:
    """The given names of a person's aliases ("Yevgeniy", "Viktorovich" of PRIGOZHIN, Yevgeniy
    Viktorovich), three letters or more."""
    korean = bool(specs) and _is_korean(specs[0], set())
    out: set[str] = set()
    for spec in specs:
        given, _surname = _split_person(spec.alias, korean)
        out.update(g for g in given if len(g) >= 3 and g.isalpha())
    return out


def person_forms(specs: list[AliasSpec]) -> list[Form]:
    """All forms of one person from all of their aliases."""
    forms: dict[str, Form] = {}

    stop = common_words(SURNAME_STOP_TOP)
    everyday = common_words(EVERYDAY_NAME_TOP)

    def add(tokens: list[str], kind: int, confidence: float, short_of: str = "") -> None:
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
            forms[key] = Form(key, kind, confidence, short_of=short_of if kind in (STRONG, SURNAME) else "")

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
            add(surname, WEAK if (len(surname) > 1 and not weak) or single else SURNAME, CONF_NICKNAME)
            continue
        add(given + surname, base, CONF_LISTED)
        if korean or (len(given) == 1 and given[0] not in common_words(DISTINCT_TOP)):
            # "Wang Jian", "Putin Vladimir": surname-first order is common for short names only
            # ("Shoigu Sergei Kuzhugetovich" is list style, never news)
            add(surname + given, base, CONF_NEAR)
        if len(given) > 1 and not korean:
            add(given[:1] + surname, base, CONF_NEAR)
            if _PATRONYMIC.search(given[1]):
                # "Vladimir V. Putin": first name, initial of the patronymic, surname (news style)
                add([given[0], given[1][0], *surname], base, CONF_DERIVED)
            middle = [t for t in given[1:] if not _PATRONYMIC.search(t)]
            if middle and len(given) > 2:
                add(given[:1] + middle + surname, base, CONF_DERIVED)
        if korean:
            add(korean_key(" ".join(surname + given)).split(), base, CONF_NEAR)
            add(korean_key(" ".join([*surname, "".join(given)])).split(), base, CONF_DERIVED)
            if len(given) > 1:
                # "Kim Jung Un", "Kim Jong Eun", "Kim Jongeun": the other romanisations of a
                # given name of two or more syllables, spaced or joined (a hyphen reads as a space)
                for respelled in korean_given_variants(given)[1:]:
                    add(surname + respelled, base, CONF_DERIVED)
                    add([*surname, "".join(respelled)], base, CONF_FURTHER)
        if len(" ".join(surname)) >= 3 and (not structured or " ".join(surname) in structured):
            # the surname of a name the list marks weak ("AL-WALID, Abu": a kunya) is no surname a
            # title can support ("prince Al-Walid bin Talal")
            add(surname, WEAK if weak else SURNAME, CONF_FURTHER)
    if bool(specs) and _is_hispanic(specs[0]):
        for given, surname, weak, _comma in parts:
            if given and len(surname) == 2 and not weak:
                _add_hispanic(add, given, surname)
    slavic = bool(specs) and _is_slavic(specs[0])
    if not korean:
        crossed = 0
        for first in sorted(firsts):
            for variant in given_name_variants(first) if slavic else ():
                for surname_key in sorted(surnames)[:2]:
                    add([variant, *surname_key.split()], STRONG, CONF_FURTHER)
            for surname_key in sorted(surnames):
                # cross given names only over spellings of one surname (Shoigu / Shoygu), not
                # over unrelated aliases of the entity
                if crossed >= MAX_CROSS or not any(_same_name(surname_key, s) for s in first_surnames[first]):
                    continue
                add([first, *surname_key.split()], STRONG, CONF_DERIVED)
                crossed += 1
    return list(forms.values())


# Spanish naming: given name(s), father's surname, mother's surname ("MADURO MOROS, Nicolas"); news
# usually writes the given name and the first surname only ("Nicolas Maduro", "President Maduro").


def _is_hispanic(spec: AliasSpec) -> bool:
    return resources.in_culture("hispanic", spec.countries, spec.programs)


def _add_hispanic(add: Callable[..., None], given: list[str], surname: list[str]) -> None:
    """Forms of a two-surname Spanish name without the second surname: every given name with the
    first surname ("Nicolas Maduro", "Daniel Ortega" of ORTEGA SAAVEDRA, Jose Daniel) and the first
    surname alone (weak). A first surname common in English text ("Garcia") makes the short form
    weak: many people share it; so does one that more than two listed people have (the matcher
    checks that across the lists: "Ivan Velasquez" is not VELASQUEZ CABALLERO, Ivan)."""
    first = surname[0]
    if any(t in SURNAME_PARTICLES or len(t) < 3 or not t.isalpha() for t in surname):
        return
    kind = STRONG if _zipf(first) < HISPANIC_SHORT_ZIPF else WEAK
    # the fewer words left out, the surer: "Nicolas Maduro" is MADURO MOROS, Nicolas (0.9) before
    # MADURO GUERRA, Nicolas Ernesto (0.85), who shares the short form
    for name in dict.fromkeys(given):
        if len(name) > 2:
            add([name, first], kind, CONF_DERIVED if len(given) == 1 else CONF_FURTHER, first)
    if len(given) > 1:
        add([*given, first], kind, CONF_DERIVED, first)
    if kind == STRONG:
        # "President Chavez" (3.3) or "boss Bell" is rarely the listed one; the matcher also wants
        # a country of theirs in the article ("Economy Minister Massa" of Argentina is no Mexican)
        add([first], SURNAME, CONF_NICKNAME, first)


# Romanisations of Slavic given names differ in a few endings and letters: Yevgeny / Yevgeniy /
# Evgeny / Evgeniy, Sergei / Sergey, Dmitry / Dmitriy, Alexander / Aleksandr, Alexei / Aleksey.
_ENDINGS = tuple((end, tuple(others)) for end, others in resources.mapping("romanisation", "slavic_endings").items())




def _is_slavic(spec: AliasSpec) -> bool:
    return resources.in_culture("slavic", spec.countries, spec.programs)


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
    from wordfreq import zipf_frequency  # imported on first use: a scan that never asks skips its load

    return float(zipf_frequency(word, "en"))


# an alias that is a facility word and one place name ("PORT OF SEVASTOPOL", "SEVASTOPOL SEA
# PORT") names the place as often as its operator ("the Black Sea port of Sevastopol")


def _is_place(tokens: list[str]) -> bool:
    rest = [t for t in tokens if t not in FACILITY_WORDS]
    return len(rest) == 1 and any(t in FACILITY_HEADS for t in tokens)


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
            proper = kind == WEAK and not weak and not derived and len(tokens) > 1
            forms[key] = Form(key, kind, confidence, proper=proper)

    for spec in specs:
        tokens = normalise_name(spec.alias).split()
        if not tokens:
            continue
        add(tokens, spec.weak or (not vessel and _is_place(tokens)), CONF_LISTED, derived=False)
        stripped = _strip_legal(tokens)
        if stripped and stripped != tokens:
            add(stripped, spec.weak, CONF_NEAR, derived=True)
        if not vessel:
            for quoted in _QUOTED.findall(spec.alias):
                # PRIVATE MILITARY COMPANY 'WAGNER' is "Wagner" in news, next to group, fighters...
                short = normalise_name(quoted)
                if short and short != " ".join(tokens) and len(short) >= 4 and short not in forms:
                    forms[short] = Form(short, ORGSHORT, CONF_FURTHER)
    return list(forms.values())


# Names romanised from Arabic (and Persian, which shares the script and the habits) have no one
# English spelling: short vowels are written i or e, u or o ("Hizballah", "Hezbollah", "Hizbullah"),
# diphthongs ai, ae, ei or ay ("Kataib", "Kataeb"), an ayn or hamza inside a word is an apostrophe
# or nothing ("KATA'IB"), and doubled consonants are often written single ("Hassan", "Hasan").
_INWORD_APOSTROPHE = re.compile("(?<=[A-Za-z])['\u2018\u2019`\u02bb\u02bc](?=[A-Za-z])")
_SEGMENT = re.compile(r"[aou]llah$|ai|ae|ei|ay|ou|oo|ee|[aeiou]|([b-df-hj-np-tv-z])\1|.")
_ALTERNATIVES = {seg: tuple(alts) for seg, alts in resources.mapping("romanisation", "arabic_alternatives").items()}


def is_arabic_origin(specs: list[AliasSpec]) -> bool:
    """True when the list places the entity in the Arabic- or Persian-speaking world (countries,
    programmes) or its names have Arabic morphology (al-, bin, abu, -allah, an in-word ayn)."""
    spec = specs[0]
    if _is_hispanic(spec):
        return False  # a Venezuelan under an Iran-arms programme is still spelled in Spanish
    if resources.in_culture("arabic", spec.countries, spec.programs):
        return True
    for s in specs:
        tokens = normalise_name(s.alias).split()
        if _INWORD_APOSTROPHE.search(s.alias) or any(
                t in ARABIC_PARTICLES or t.endswith(("allah", "ullah")) for t in tokens):
            return True
    return False


def arabic_spellings(word: str) -> list[str]:
    """Other common romanisations of one Arabic-origin word, fewest changes first, at most six
    ("hizballah" -> "hezballah", "hizbollah", "hezbollah"...; "kataib" -> "kataeb")."""
    segments = [m.group(0) for m in _SEGMENT.finditer(word)]
    options: list[tuple[str, ...]] = []
    for i, seg in enumerate(segments):
        if len(seg) == 2 and seg[0] == seg[1] and seg[0] not in "aeiou":
            options.append((seg, seg[0]))  # "ss" -> "s": gemination is often not written
        elif i == 0 and len(seg) == 1:
            options.append((seg,))  # the first letter stays: "Ibrahim" and "Ebrahim" differ in it too rarely
        else:
            options.append(_ALTERNATIVES.get(seg, (seg,)))
    out: list[tuple[int, str]] = []
    for combo in product(*options):
        changes = sum(1 for seg, alt in zip(segments, combo, strict=True) if seg != alt)
        if 0 < changes <= 2:
            out.append((changes, "".join(combo)))
        if len(out) > 200:
            break
    out.sort()
    return [w for _c, w in dict.fromkeys(out)][:MAX_SPELLINGS]


def _respellable(token: str) -> bool:
    return len(token) >= 5 and token.isalpha() and _zipf(token) < ARABIC_VARIANT_ZIPF


def arabic_variant_forms(forms: list[Form], own_name: str = "") -> list[Form]:
    """Respellings of an Arabic-origin organisation's names of up to four words: each rare word
    in the other common romanisations ("Hezbollah", "Kataeb Hezbollah"), one word per name, same
    kind, a little less confidence. People are not respelled: the lists already spell their names
    several ways, and a respelled surname after a title ("Sheikh Jassim" from JASSEM) or a place
    ("Ain al-Asad" air base) named someone else in the 2023 news."""
    have = {f.key for f in forms}
    common = common_words(DISTINCT_TOP)
    # every name's likeliest respelling first, strong and short names first, up to the cap
    ranked: list[tuple[int, int, int, str, Form]] = []
    for form in forms:
        tokens = form.key.split()
        if form.kind not in (STRONG, WEAK) or len(tokens) > MAX_RESPELLED_WORDS:
            continue
        for i, token in enumerate(tokens):
            if not _respellable(token):
                continue
            # a respelling must be no English word ("POSIS" -> "poses", "LOUCA" -> "luca"); the
            # organisation's own name may respell to a word as known as "Hezbollah" (3.3)
            limit = OWN_VARIANT_ZIPF if form.key == own_name else ARABIC_VARIANT_ZIPF
            for rank, spelling in enumerate(arabic_spellings(token)[:4]):
                if spelling in common or _zipf(spelling) >= limit:
                    continue
                key = " ".join([*tokens[:i], spelling, *tokens[i + 1:]])
                if key not in have:
                    ranked.append((rank, form.kind, len(tokens), key,
                                   Form(key, form.kind, round(form.confidence * RESPELLED_CONFIDENCE, 3))))
    out: dict[str, Form] = {}
    for *_order, key, variant in sorted(ranked, key=lambda r: r[:4]):
        out.setdefault(key, variant)
        if len(out) >= MAX_VARIANT_FORMS:
            break
    return list(out.values())


def _without_inword_apostrophes(specs: list[AliasSpec]) -> list[AliasSpec]:
    """The aliases plus, for each with an apostrophe inside a word ("KATA'IB HIZBALLAH"), the
    same alias without it ("KATAIB HIZBALLAH"): an ayn or hamza that English writes as nothing."""
    extra = [replace(s, alias=_INWORD_APOSTROPHE.sub("", s.alias)) for s in specs if _INWORD_APOSTROPHE.search(s.alias)]
    return specs + [e for e in extra if e.alias not in {s.alias for s in specs}]


def entity_forms(specs: list[AliasSpec]) -> list[Form]:
    """Forms of one entity (all specs share its entity_id)."""
    if not specs:
        return []
    person = is_person(specs[0].schema)
    forms = person_forms(specs) if person else thing_forms(specs)
    if not is_arabic_origin(specs):
        return forms
    joined = _without_inword_apostrophes(specs)
    if len(joined) > len(specs):
        have = {f.key for f in forms}
        extra = person_forms(joined) if person else thing_forms(joined)
        # a person's surname without its ayn ("SA'UD" -> "Saud") is too often someone else's name
        forms += [f for f in extra if f.key not in have and not (person and f.kind == SURNAME)]
    if person:
        return forms
    return forms + arabic_variant_forms(forms, normalise_name(specs[0].caption))


def group_by_entity(aliases: Iterable[AliasSpec]) -> Iterator[tuple[str, list[AliasSpec]]]:
    """Runs of consecutive aliases of one entity (streamed: a million aliases are never all in
    memory at once; the database and the loaders yield them entity by entity)."""
    for entity_id, group in groupby(aliases, key=attrgetter("entity_id")):
        yield entity_id, list(group)

"""Facts hidden in OFAC's free-text remarks: birth dates, nationalities, identifiers, weak a.k.a.s.

OFAC's legacy files (sdn.csv, sdn.xml's remarks) pack a record's details into one
`;`-separated remarks field: `DOB 08 Jan 1984; POB Leningrad, Russia; nationality
Russia; Passport 123 (Iran); Vessel Registration Identification IMO 9165839; a.k.a.
'BNC'`. Names quoted in single quotes after a.k.a. are OFAC's *weak* aliases
(too short or too common to screen on alone), so they are marked weak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from monitor.watchlists.countries import country_code

MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}

_WEAK_AKA = re.compile(r"\b([afn])\.k\.a\.?,?\s+'([^']{1,300})'", re.IGNORECASE)
_COUNTRY_SUFFIX = re.compile(r"\s*\(([^()]*)\)\s*$")

# Remark labels that carry an identifier, longest first so the most specific wins.
IDENTIFIER_LABELS = sorted(
    [
        "Passport",
        "National ID No.",
        "Tax ID No.",
        "Registration Number",
        "Registration ID",
        "Business Registration Number",
        "Company Number",
        "Commercial Registry Number",
        "Public Registration Number",
        "Government Gazette Number",
        "Legal Entity Number",
        "Identification Number",
        "Cedula No.",
        "C.U.R.P.",
        "R.F.C.",
        "NIT #",
        "RUC #",
        "SSN",
        "Driver's License No.",
        "Residency Number",
        "Personal ID Card",
        "Kenyan ID No.",
        "Birth Certificate Number",
        "D-U-N-S Number",
        "SWIFT/BIC",
        "MMSI",
        "IMO",
        "Vessel Registration Identification",
        "Aircraft Manufacturer's Serial Number (MSN)",
        "Aircraft Tail Number",
        "Aircraft Construction Number (also called L/N or S/N or F/N)",
        "Aircraft Model",
        "Website",
        "Email Address",
        "Phone Number",
        "Digital Currency Address - XBT",
        "Digital Currency Address - ETH",
        "Digital Currency Address - USDT",
        "Digital Currency Address - XMR",
        "Digital Currency Address - LTC",
        "Digital Currency Address - TRX",
    ],
    key=len,
    reverse=True,
)


_LABEL = re.compile("^(" + "|".join(re.escape(label) for label in IDENTIFIER_LABELS) + r")[ :]")


@dataclass
class RemarkFacts:
    """What could be read out of one remarks field."""

    birth_dates: list[str] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    identifiers: list[dict[str, str]] = field(default_factory=list)
    weak_aliases: list[str] = field(default_factory=list)
    strong_aliases: list[str] = field(default_factory=list)
    gender: str | None = None


def parse_date(text: str) -> list[str]:
    """OFAC date text to ISO prefixes: `08 Jan 1984` -> 1984-01-08, `circa 1960` -> 1960,
    `1960 to 1962` -> both ends."""
    text = text.strip().rstrip(".")
    if " to " in text:
        out: list[str] = []
        for part in text.split(" to "):
            out.extend(parse_date(part))
        return out
    text = re.sub(r"^(circa|approximately|between)\s+", "", text, flags=re.IGNORECASE)
    m = re.fullmatch(r"(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4})", text)
    if m and m.group(2).lower() in MONTHS:
        return [f"{m.group(3)}-{MONTHS[m.group(2).lower()]:02d}-{int(m.group(1)):02d}"]
    m = re.fullmatch(r"([A-Za-z]{3})[a-z]*\.?\s+(\d{4})", text)
    if m and m.group(1).lower() in MONTHS:
        return [f"{m.group(2)}-{MONTHS[m.group(1).lower()]:02d}"]
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
    if m:
        return [text]
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)  # MM/DD/YYYY in OFAC XML
    if m:
        return [f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}"]
    return []


def split_country(value: str) -> tuple[str, str | None]:
    """`123456 (Iran)` -> ("123456", "IR"); values without a country keep None."""
    m = _COUNTRY_SUFFIX.search(value)
    if not m:
        return value.strip(), None
    code = country_code(m.group(1))
    if code is None:
        return value.strip(), None
    return value[: m.start()].strip(), code


def parse_remarks(remarks: str) -> RemarkFacts:
    """Read birth dates, nationalities, identifiers and quoted aliases out of OFAC remarks."""
    facts = RemarkFacts()
    for kind, alias in _WEAK_AKA.findall(remarks):
        # Quoted a.k.a.s are OFAC's weak aliases; quoted f.k.a./n.k.a. are former/new names.
        (facts.weak_aliases if kind.lower() == "a" else facts.strong_aliases).append(alias.strip())
    for raw in remarks.split(";"):
        part = raw.strip().rstrip(".").strip()
        if not part:
            continue
        # "alt. DOB 1963", "alt. Passport ...", "alt. nationality ...": a further value of the same fact
        part = re.sub(r"^alt\.?\s+", "", part, flags=re.IGNORECASE)
        low = part.lower()
        if low.startswith("dob "):
            facts.birth_dates.extend(parse_date(part[4:]))
        elif low.startswith("pob "):
            facts.birth_places.append(part[4:].strip())
        elif low.startswith(("nationality ", "citizen ")):
            code = country_code(part.split(" ", 1)[1])
            if code:
                facts.countries.append(code)
        elif low.startswith("gender "):
            facts.gender = part.split(" ", 1)[1].strip().lower()
        else:
            _identifier(part, facts)
    return facts


def _identifier(part: str, facts: RemarkFacts) -> None:
    # One alternation, longest label first, instead of a startswith per label.
    m = _LABEL.match(part)
    if not m:
        return
    label = m.group(1)
    value = part[len(label) :].lstrip(": ").strip()
    if label == "Vessel Registration Identification" and value.upper().startswith("IMO "):
        label, value = "IMO", value[4:]
    # "Passport A123 (Iran) issued 01 Jan 2010 expires ...": dates go first, then the country.
    value = re.sub(r"\s*,?\s*\b(issued|expires)\b.*$", "", value, flags=re.IGNORECASE).strip()
    value, country = split_country(value)
    if value:
        ident = {"type": label, "value": value}
        if country:
            ident["country"] = country
        facts.identifiers.append(ident)

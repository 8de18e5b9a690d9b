"""Evidence for the alert page: each sentence with entity mentions and rule terms marked.

Entity spans come from the stored mentions (offsets into the article's title or text);
rule terms come from the rule's parsed query (ENGINE's `parse_query`), found in the
sentence with ENGINE's own normalisation so "North Korean" in the query marks
"north-korean" in the text exactly as the matcher saw it. Terms under NOT are not marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from markupsafe import Markup

from monitor.console.highlight import Span, highlight
from monitor.matching.normalise import normalise_field
from monitor.matching.query import And, Near, Node, Not, Or, QuerySyntaxError, Term, parse_query
from monitor.matching.vocabulary import NO_VOCABULARIES, Vocabularies


@dataclass
class Snippet:
    """One evidence sentence, marked up, with the names of the entities it mentions."""

    field: str
    start: int
    end: int
    html: Markup
    entities: list[str] = dc_field(default_factory=list)
    terms: list[str] = dc_field(default_factory=list)


def positive_terms(node: Node) -> list[Term]:
    """The query's terms that must occur (every Term not under a NOT)."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, And | Or):
        return [t for child in node.children for t in positive_terms(child)]
    if isinstance(node, Near):
        return positive_terms(node.left) + positive_terms(node.right)
    if isinstance(node, Not):
        return []
    return []


def term_spans(query: str, text: str, field_name: str,
               vocabularies: Vocabularies = NO_VOCABULARIES) -> list[tuple[int, int, str]]:
    """(start, end, raw term) of every occurrence in `text` of the query's positive terms (@vocabularies expanded)."""
    try:
        terms = positive_terms(parse_query(query, vocabularies=vocabularies))
    except QuerySyntaxError:
        return []
    norm = normalise_field(text)
    padded = norm.padded  # tokens framed by single spaces, as the matcher scans them
    found: list[tuple[int, int, str]] = []
    for term in terms:
        if term.field not in (None, field_name):
            continue
        key = " " + " ".join(term.tokens) + ("" if term.prefix else " ")
        pos = padded.find(key)
        while pos >= 0:
            last = pos + len(key) - 1
            end = norm.token_end(last) if term.prefix else last
            found.append((*norm.orig_span(pos + 1, end), term.raw))
            pos = padded.find(key, pos + 1)
    return found


def snippets(
    evidence: list[dict[str, Any]], mentions: list[dict[str, Any]], query: str | None,
    vocabularies: Vocabularies = NO_VOCABULARIES,
) -> list[Snippet]:
    """Each evidence span with the mentions inside it and the rule's terms marked."""
    out: list[Snippet] = []
    for ev in evidence:
        text = str(ev.get("text", ""))
        ev_field, ev_start, ev_end = str(ev.get("field", "text")), int(ev.get("start", 0)), int(ev.get("end", 0))
        spans: list[Span] = []
        names: list[str] = []
        for m in mentions:
            if m["field"] != ev_field or m["start"] < ev_start or m["end"] > ev_end:
                continue
            rel = m["start"] - ev_start
            # Only mark when the stored offsets still point at the matched words in this sentence.
            if text[rel : rel + (m["end"] - m["start"])].casefold() != str(m["matched"]).casefold():
                continue
            label = f"{m.get('entity_name') or m['entity_id']} ({m['entity_id']})"
            spans.append(Span(rel, rel + m["end"] - m["start"], "entity", label))
            names.append(str(m.get("entity_name") or m["entity_id"]))
        terms: list[str] = []
        if query:
            for start, end, raw in term_spans(query, text, ev_field, vocabularies):
                spans.append(Span(start, end, "term", f"rule term {raw}"))
                terms.append(text[start:end])
        out.append(
            Snippet(
                field=ev_field,
                start=ev_start,
                end=ev_end,
                html=highlight(text, spans),
                entities=list(dict.fromkeys(names)),
                terms=list(dict.fromkeys(terms)),
            )
        )
    return out

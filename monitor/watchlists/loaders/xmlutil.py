"""Safe streaming XML for list files: lxml iterparse with no DTD, no entity expansion, no network.

Elements are handed out one record at a time and cleared afterwards, so a list of any
size parses in constant memory. A syntax error (a truncated file) becomes a
`ListFormatError` with the line; a document whose root is not the expected one is
refused as the wrong format before any record is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from monitor.watchlists.loaders.base import ListFormatError, clean

DOCTYPE_SCAN = 4096


def local(tag: object) -> str:
    """Tag name without its namespace."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def root_tag(head: bytes) -> str:
    """Local name of the root element in the first bytes of a file ('' if none)."""
    try:
        parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True, load_dtd=False)
        parser.feed(head)
        for _event, elem in parser.read_events():
            return local(elem.tag)
    except etree.XMLSyntaxError:
        return ""
    return ""


def iter_records(path: Path, roots: tuple[str, ...], record_tags: set[str]) -> Iterator[etree._Element]:
    """Yield each element whose local name is in record_tags (then free it)."""
    with path.open("rb") as fh:
        head = fh.read(DOCTYPE_SCAN)
    if b"<!ENTITY" in head or (b"<!DOCTYPE" in head and b"[" in head.split(b"<!DOCTYPE", 1)[1][:2000]):
        raise ListFormatError(path, 1, "XML with an internal DTD or entity declarations is refused")
    context = etree.iterparse(
        str(path),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )
    depth = 0
    try:
        for event, elem in context:
            if event == "start":
                if depth == 0 and local(elem.tag) not in roots:
                    raise ListFormatError(
                        path, elem.sourceline, f"root element <{local(elem.tag)}>, expected <{'> or <'.join(roots)}>"
                    )
                depth += 1
                continue
            depth -= 1
            if local(elem.tag) in record_tags:
                yield elem
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                if parent is not None:
                    while elem.getprevious() is not None:
                        del parent[0]
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        msg = exc.msg or str(exc)
        reason = f"truncated or malformed XML: {msg}"
        raise ListFormatError(path, line, reason) from exc


def text(elem: etree._Element | None, *path: str) -> str:
    """Cleaned text of the first descendant along local-name path (or of elem itself)."""
    node = elem
    for name in path:
        if node is None:
            return ""
        node = next((c for c in node if local(c.tag) == name), None)
    if node is None:
        return ""
    return clean(node.text)


def children(elem: etree._Element, name: str) -> list[etree._Element]:
    """Direct children with this local name."""
    return [c for c in elem if local(c.tag) == name]


def descendants(elem: etree._Element, name: str) -> list[etree._Element]:
    """All descendants with this local name."""
    return [c for c in elem.iter() if local(c.tag) == name]

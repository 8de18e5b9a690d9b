"""Rule files: YAML with `rules:` a list of rule mappings and `vocabularies:` named term sets,
validated with exact positions.

    vocabularies:                    # optional; usable as @name by every rule of every file
      weapons:
        en: [weapon, weapons, "artillery shells"]
      arms_verbs: [supply, sell]     # a bare list is English
    rules:
      - id: arms-transfer              # slug, unique across all files
        title: Arms transfer language
        description: ...
        category: arms-transfer        # sanctions | arms-transfer | sanctions-evasion | proliferation | named-officials
        severity: medium               # low | medium | high | critical
        query: |
          (supply* OR sell* OR ship*) w/5 (weapon* OR ammunition OR "artillery shells")
        escalate:                      # optional
          - when: entity:sanctioned
            severity: high
            scope: sentence            # sentence (default) or article
        enabled: true                  # optional

Errors name the file, line and column (for a bad query: the line and column inside the
file of the offending character), so `rules check` points straight at the mistake. A file may
hold only vocabularies; vocabulary names are unique across the files read together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from monitor.matching.countries import country_codes
from monitor.matching.query import QuerySyntaxError, expand_vocabulary, parse_query
from monitor.matching.types import CATEGORIES, SEVERITIES, Escalation, RuleSpec
from monitor.matching.vocabulary import LANGUAGE_RE, NAME_RE, NO_VOCABULARIES, Vocabularies, Vocabulary

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
_KEYS = {"id", "title", "description", "category", "severity", "query", "enabled", "escalate"}
_REQUIRED = ("id", "title", "category", "severity", "query")
_C_LOADER = getattr(yaml, "CSafeLoader", None)  # absent when PyYAML was built without libyaml


class RuleError(ValueError):
    """An invalid rule: what is wrong and where."""

    def __init__(self, message: str, source: str = "", line: int | None = None, column: int | None = None) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        where = source
        if line is not None:
            where = f"{where}:{line}" + (f":{column}" if column is not None else "")
        super().__init__(f"{where}: {message}" if where else message)


def _mark(node: yaml.Node | None) -> tuple[int | None, int | None]:
    if node is None:
        return None, None
    return node.start_mark.line + 1, node.start_mark.column + 1


def _lookup(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def _query_position(node: yaml.Node | None, err: QuerySyntaxError) -> tuple[int | None, int | None]:
    """Where inside the file a query error is, given the query's YAML node."""
    if not isinstance(node, yaml.ScalarNode):
        return err.line, err.column
    line0, col0 = node.start_mark.line, node.start_mark.column
    if node.style in ("|", ">"):
        # the block's indentation is that of its first line; the query's columns start after it
        lines = node.start_mark.buffer.splitlines() if node.start_mark.buffer else []
        indent_line = lines[line0 + 1] if line0 + 1 < len(lines) else ""
        indent = len(indent_line) - len(indent_line.lstrip(" "))
        return line0 + 1 + err.line, indent + err.column
    quote = 1 if node.style in ("'", '"') else 0
    if err.line == 1:
        return line0 + 1, col0 + quote + err.column
    return line0 + err.line, err.column


def _query_error(label: str, exc: QuerySyntaxError, vocabularies: Vocabularies, source: str,
                 where: tuple[int | None, int | None]) -> RuleError:
    """A query's syntax error as a RuleError: at its place in the query, or naming the broken vocabulary."""
    if exc.vocabulary is not None and exc.vocabulary in vocabularies:
        vocab = vocabularies[exc.vocabulary]
        return RuleError(f"{label}: vocabulary @{vocab.name} ({vocab.where()}) is invalid: expected {exc.expected}, "
                         f"found {exc.found}", source, *where)
    return RuleError(f"{label}: expected {exc.expected}, found {exc.found}", source, *where)


def validate_rule(data: Any, source: str = "", node: yaml.Node | None = None,
                  vocabularies: Vocabularies = NO_VOCABULARIES) -> RuleSpec:
    """Check one rule mapping (its @vocabularies among `vocabularies`) and build its RuleSpec;
    raises RuleError with the position."""
    line, col = _mark(node)
    if not isinstance(data, dict):
        raise RuleError("a rule must be a mapping with id, title, category, severity and query", source, line, col)
    unknown = sorted(set(map(str, data)) - _KEYS)
    if unknown:
        kline, kcol = _mark(_lookup(node, unknown[0]))
        raise RuleError(f"unknown key '{unknown[0]}' (allowed: {', '.join(sorted(_KEYS))})", source, kline, kcol)
    for key in _REQUIRED:
        if key not in data or data[key] in (None, ""):
            raise RuleError(f"missing '{key}'", source, line, col)

    def where(key: str) -> tuple[int | None, int | None]:
        return _mark(_lookup(node, key)) if node is not None else (line, col)

    if not isinstance(data["id"], str | int) or isinstance(data["id"], bool):
        raise RuleError("id must be text (YAML reads off, no, yes... as true/false: quote it)", source, *where("id"))
    rule_id = str(data["id"])
    if not _ID_RE.match(rule_id):
        raise RuleError(f"id '{rule_id}' must be a slug: lower-case letters, digits, '-' or '_'", source,
                        *where("id"))
    if data["category"] not in CATEGORIES:
        raise RuleError(f"category '{data['category']}' is not one of {', '.join(CATEGORIES)}", source,
                        *where("category"))
    if data["severity"] not in SEVERITIES:
        raise RuleError(f"severity '{data['severity']}' is not one of {', '.join(SEVERITIES)}", source,
                        *where("severity"))
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RuleError("enabled must be true or false", source, *where("enabled"))
    query = data["query"]
    if not isinstance(query, str):
        raise RuleError("query must be a string", source, *where("query"))
    try:
        parse_query(query, vocabularies=vocabularies)
    except QuerySyntaxError as exc:
        qnode = _lookup(node, "query")
        qwhere = _query_position(qnode, exc) if node is not None else (exc.line, exc.column)
        if exc.vocabulary is not None:
            qwhere = _mark(qnode) if node is not None else (None, None)
        raise _query_error("query", exc, vocabularies, source, qwhere) from exc
    escalate = []
    raw_escalate = data.get("escalate") or []
    esc_node = _lookup(node, "escalate")
    if not isinstance(raw_escalate, list):
        raise RuleError("escalate must be a list of {when, severity, scope}", source, *where("escalate"))
    for i, item in enumerate(raw_escalate):
        item_node = esc_node.value[i] if isinstance(esc_node, yaml.SequenceNode) else None
        iline, icol = _mark(item_node) if item_node is not None else (line, col)
        if not isinstance(item, dict) or not isinstance(item.get("when"), str) or "severity" not in item:
            raise RuleError("each escalate entry needs 'when' (a query) and 'severity'", source, iline, icol)
        extra = set(item) - {"when", "severity", "scope"}
        if extra:
            raise RuleError(f"unknown key '{sorted(extra)[0]}' in escalate", source, iline, icol)
        if item["severity"] not in SEVERITIES:
            raise RuleError(f"escalate severity '{item['severity']}' is not one of {', '.join(SEVERITIES)}",
                            source, iline, icol)
        scope = item.get("scope", "sentence")
        if scope not in ("sentence", "article"):
            raise RuleError(f"escalate scope '{scope}' must be sentence or article", source, iline, icol)
        try:
            parse_query(item["when"], vocabularies=vocabularies)
        except QuerySyntaxError as exc:
            wnode = _lookup(item_node, "when")
            wwhere = _query_position(wnode, exc) if item_node is not None else (iline, icol)
            if exc.vocabulary is not None:
                wwhere = _mark(wnode) if item_node is not None else (iline, icol)
            raise _query_error("escalate when", exc, vocabularies, source, wwhere) from exc
        escalate.append(Escalation(when=item["when"], severity=item["severity"], scope=scope))
    return RuleSpec(
        id=rule_id,
        title=str(data["title"]),
        description=str(data.get("description") or ""),
        category=str(data["category"]),
        severity=str(data["severity"]),
        query=query,
        enabled=enabled,
        escalate=tuple(escalate),
        vocabularies=vocabularies,
    )


@dataclass
class _Document:
    """One rule file read: its YAML tree, its data, its vocabularies and the errors found so far."""

    source: str
    root: yaml.Node | None = None
    data: Any = None
    vocabularies: list[Vocabulary] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)


def _construct(root: yaml.Node | None) -> Any:
    """The data of a composed document, as `yaml.safe_load` gives it (without parsing the text again:
    PyYAML's pure-Python parser is most of what reading the rule pack costs)."""
    if root is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(root)
    finally:
        loader.dispose()


def _read_document(text: str, source: str, fast: bool = False) -> _Document:
    doc = _Document(source)
    try:
        doc.root = yaml.compose(text, Loader=_C_LOADER if fast and _C_LOADER else yaml.SafeLoader)
        doc.data = _construct(doc.root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        if mark is not None:
            doc.errors.append(RuleError(f"invalid YAML: {problem}", source, mark.line + 1, mark.column + 1))
        else:
            doc.errors.append(RuleError(f"invalid YAML: {problem}", source))
        doc.data = None
        return doc
    if doc.data is None:
        return doc
    data = doc.data
    if not isinstance(data, dict) or not (isinstance(data.get("rules"), list) or "vocabularies" in data):
        doc.errors.append(RuleError("the file must hold 'rules:' with a list of rules (and/or 'vocabularies:')",
                                    source, 1, 1))
        doc.data = None
        return doc
    extra = sorted(set(map(str, data)) - {"rules", "vocabularies"})
    if extra:
        eline, ecol = _mark(_lookup(doc.root, extra[0]))
        doc.errors.append(RuleError(f"unknown top-level key '{extra[0]}' (only 'rules' and 'vocabularies')",
                                    source, eline, ecol))
        doc.data = None
        return doc
    if "rules" in data and not isinstance(data["rules"], list):
        doc.errors.append(RuleError("'rules:' must be a list of rules", source, *_mark(_lookup(doc.root, "rules"))))
        doc.data = None
        return doc
    _read_vocabularies(doc)
    return doc


def _read_vocabularies(doc: _Document) -> None:
    raw = doc.data.get("vocabularies")
    if raw is None:
        return
    vnode = _lookup(doc.root, "vocabularies")
    if not isinstance(raw, dict) or not isinstance(vnode, yaml.MappingNode):
        doc.errors.append(RuleError("'vocabularies:' must map names to term lists", doc.source, *_mark(vnode)))
        return
    for key_node, value_node in vnode.value:
        name = str(key_node.value)
        where = _mark(key_node)
        if not NAME_RE.match(name):
            doc.errors.append(RuleError(f"vocabulary name '{name}' must be lower-case letters, digits and '_', "
                                        "starting with a letter", doc.source, *where))
            continue
        value = raw.get(name) if name in raw else raw.get(key_node.value)
        try:
            doc.vocabularies.append(_vocabulary(name, value, value_node, doc.source, where))
        except RuleError as exc:
            doc.errors.append(exc)


_SHAPE = "a list of terms, a query string, or per language ({en: [...], de: [...]})"


def _vocabulary(name: str, value: Any, node: yaml.Node, source: str, where: tuple[int | None, int | None]
                ) -> Vocabulary:
    description = ""
    if isinstance(value, list | str):
        value, node = {"en": value}, yaml.MappingNode("tag:yaml.org,2002:map", [(yaml.ScalarNode("", "en"), node)])
    if not isinstance(value, dict) or not value:
        raise RuleError(f"vocabulary '{name}' must be {_SHAPE}", source, *_mark(node))
    languages: list[tuple[str, tuple[str, ...] | str]] = []
    positions: dict[Any, yaml.Node] = {}
    for key in value:
        lang = str(key)
        sub = _lookup(node, lang)
        body = value[key]
        if lang == "description":
            description = str(body or "")
            continue
        if not LANGUAGE_RE.match(lang):
            raise RuleError(f"vocabulary '{name}': '{lang}' is not a language code (ISO 639-1, e.g. en, de) "
                            "or 'description'", source, *_mark(sub))
        if isinstance(body, str):
            languages.append((lang, body))
        elif isinstance(body, list) and body and all(isinstance(t, str | int | float) and not isinstance(t, bool)
                                                    for t in body):
            languages.append((lang, tuple(str(t) for t in body)))
            if isinstance(sub, yaml.SequenceNode):
                for i, item in enumerate(sub.value):
                    positions[(lang, i)] = item
        else:
            raise RuleError(f"vocabulary '{name}' ({lang}) must be {_SHAPE}; an entry is a word or phrase "
                            "(YAML reads yes/no/on/off as true/false: quote them)", source, *_mark(sub))
        if sub is not None:
            positions[lang] = sub
    if not languages:
        raise RuleError(f"vocabulary '{name}' has no terms", source, *where)
    return Vocabulary(name, tuple(languages), description, source, where[0], where[1], positions)


def _vocabulary_errors(vocabularies: Vocabularies) -> list[RuleError]:
    """Every vocabulary expanded once: bad entries, unknown names and cycles, each at its place."""
    errors: dict[str, RuleError] = {}
    for name, vocab in vocabularies.items():
        try:
            expand_vocabulary(vocab, vocabularies, country_codes(), None, (name,))
        except QuerySyntaxError as exc:
            bad = vocabularies.get(exc.vocabulary or name, vocab)
            key = (exc.language, exc.entry) if exc.entry is not None else exc.language
            vnode = bad.positions.get(key) if key is not None else None
            line, col = _query_position(vnode, exc) if isinstance(vnode, yaml.ScalarNode) else (bad.line, bad.column)
            err = RuleError(f"vocabulary '{bad.name}': expected {exc.expected}, found {exc.found}", bad.source,
                            line, col)
            errors.setdefault(str(err), err)
    return list(errors.values())


@dataclass
class RulePack:
    """Rules and vocabularies read from rule files, with every error found."""

    rules: list[RuleSpec] = field(default_factory=list)
    vocabularies: Vocabularies = NO_VOCABULARIES
    errors: list[RuleError] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def _pack(docs: list[_Document], extra: Vocabularies = NO_VOCABULARIES) -> RulePack:
    """Vocabularies of all documents first (names unique across them), then every rule."""
    pack = RulePack()
    found: dict[str, Vocabulary] = dict(extra.items())
    for doc in docs:
        pack.errors.extend(doc.errors)
        for vocab in doc.vocabularies:
            if vocab.name in found:
                other = found[vocab.name].where()
                pack.errors.append(RuleError(f"duplicate vocabulary '{vocab.name}' (also in {other})", vocab.source,
                                             vocab.line, vocab.column))
                continue
            found[vocab.name] = vocab
    pack.vocabularies = Vocabularies(found.values()) if found else NO_VOCABULARIES
    pack.errors.extend(_vocabulary_errors(pack.vocabularies))
    seen: dict[str, str] = {}
    for doc in docs:
        if doc.data is None:
            continue
        items = _lookup(doc.root, "rules")
        nodes = items.value if isinstance(items, yaml.SequenceNode) else []
        for i, item in enumerate(doc.data.get("rules") or []):
            try:
                rule = validate_rule(item, doc.source, nodes[i] if i < len(nodes) else None, pack.vocabularies)
            except RuleError as exc:
                pack.errors.append(exc)
                continue
            if rule.id in seen:
                pack.errors.append(RuleError(f"duplicate rule id '{rule.id}' (also in {seen[rule.id]})", doc.source))
                continue
            seen[rule.id] = doc.source
            pack.rules.append(rule)
    return pack


def parse_rule_text(text: str, source: str = "", vocabularies: Vocabularies = NO_VOCABULARIES
                    ) -> tuple[list[RuleSpec], list[RuleError]]:
    """All valid rules of one YAML document and the errors of the invalid ones (its own vocabularies and
    `vocabularies` usable)."""
    pack = _pack([_read_document(text, source)], vocabularies)
    return pack.rules, pack.errors


def rule_files(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files named or held (sorted) by these paths."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise RuleError("no such file or folder", str(path))
    return files


RuleTexts = list[tuple[Path, str | RuleError]]


def read_texts(paths: Iterable[str | Path]) -> RuleTexts | RuleError:
    """The text of every rule file in these files or folders (a RuleError in place of one that cannot
    be read), or the RuleError of a path that does not exist."""
    try:
        files = rule_files(paths)
    except RuleError as exc:
        return exc
    texts: RuleTexts = []
    for file in files:
        try:
            texts.append((file, file.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            texts.append((file, RuleError(f"cannot read: {exc}", str(file))))
    return texts


def read_pack(paths: Iterable[str | Path]) -> RulePack:
    """Every rule and vocabulary in these files or folders, and every error (duplicates included)."""
    texts = read_texts(paths)
    return RulePack(errors=[texts]) if isinstance(texts, RuleError) else pack_of_texts(texts)


def pack_of_texts(texts: RuleTexts) -> RulePack:
    """The rule pack of rule file texts read by `read_texts` (every error included)."""
    # libyaml's composer first (a twentieth of the pure-Python one's time); the marks of the nodes it
    # gives carry lines and columns but not the text, which the position of an error inside a block
    # scalar needs: a pack with any error is read again by the pure-Python composer, so every
    # message and position is the one it has always been
    for fast in (True, False) if _C_LOADER else (False,):
        docs = [_read_document(text, str(file), fast) if isinstance(text, str)
                else _Document(str(file), errors=[text]) for file, text in texts]
        pack = _pack(docs)
        if not pack.errors:
            break
    pack.files = [file for file, _text in texts]
    return pack


def check_rules(paths: Iterable[str | Path]) -> tuple[list[RuleSpec], list[RuleError]]:
    """Every rule in these files or folders, and every error (duplicate ids included)."""
    pack = read_pack(paths)
    return pack.rules, pack.errors


def load_rules(paths_or_dirs: Iterable[str | Path]) -> list[RuleSpec]:
    """Load rules from files or folders; raises the first RuleError."""
    rules, errors = check_rules(paths_or_dirs)
    if errors:
        raise errors[0]
    return rules

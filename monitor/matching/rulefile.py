"""Rule files: YAML with `rules:` a list of rule mappings, validated with exact positions.

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
file of the offending character), so `rules check` points straight at the mistake.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from monitor.matching.query import QuerySyntaxError, parse_query
from monitor.matching.types import CATEGORIES, SEVERITIES, Escalation, RuleSpec

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
_KEYS = {"id", "title", "description", "category", "severity", "query", "enabled", "escalate"}
_REQUIRED = ("id", "title", "category", "severity", "query")


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


def validate_rule(data: Any, source: str = "", node: yaml.Node | None = None) -> RuleSpec:
    """Check one rule mapping and build its RuleSpec; raises RuleError with the position."""
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
        parse_query(query)
    except QuerySyntaxError as exc:
        qline, qcol = _query_position(_lookup(node, "query"), exc) if node is not None else (exc.line, exc.column)
        raise RuleError(f"query: expected {exc.expected}, found {exc.found}", source, qline, qcol) from exc
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
            parse_query(item["when"])
        except QuerySyntaxError as exc:
            wline, wcol = _query_position(_lookup(item_node, "when"), exc) if item_node is not None else (iline, icol)
            raise RuleError(f"escalate when: expected {exc.expected}, found {exc.found}", source, wline,
                            wcol) from exc
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
    )


def parse_rule_text(text: str, source: str = "") -> tuple[list[RuleSpec], list[RuleError]]:
    """All valid rules of one YAML document and the errors of the invalid ones."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        if mark is not None:
            return [], [RuleError(f"invalid YAML: {problem}", source, mark.line + 1, mark.column + 1)]
        return [], [RuleError(f"invalid YAML: {problem}", source)]
    if data is None:
        return [], []
    rules_node = _lookup(root, "rules")
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        return [], [RuleError("the file must hold 'rules:' with a list of rules", source, 1, 1)]
    extra = sorted(set(map(str, data)) - {"rules"})
    if extra:
        eline, ecol = _mark(_lookup(root, extra[0]))
        return [], [RuleError(f"unknown top-level key '{extra[0]}' (only 'rules')", source, eline, ecol)]
    rules: list[RuleSpec] = []
    errors: list[RuleError] = []
    items = rules_node.value if isinstance(rules_node, yaml.SequenceNode) else []
    for i, item in enumerate(data["rules"]):
        node = items[i] if i < len(items) else None
        try:
            rules.append(validate_rule(item, source, node))
        except RuleError as exc:
            errors.append(exc)
    return rules, errors


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


def check_rules(paths: Iterable[str | Path]) -> tuple[list[RuleSpec], list[RuleError]]:
    """Every rule in these files or folders, and every error (duplicate ids included)."""
    rules: list[RuleSpec] = []
    errors: list[RuleError] = []
    seen: dict[str, str] = {}
    try:
        files = rule_files(paths)
    except RuleError as exc:
        return [], [exc]
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(RuleError(f"cannot read: {exc}", str(file)))
            continue
        found, errs = parse_rule_text(text, str(file))
        errors.extend(errs)
        for rule in found:
            if rule.id in seen:
                errors.append(RuleError(f"duplicate rule id '{rule.id}' (also in {seen[rule.id]})", str(file)))
                continue
            seen[rule.id] = str(file)
            rules.append(rule)
    return rules, errors


def load_rules(paths_or_dirs: Iterable[str | Path]) -> list[RuleSpec]:
    """Load rules from files or folders; raises the first RuleError."""
    rules, errors = check_rules(paths_or_dirs)
    if errors:
        raise errors[0]
    return rules

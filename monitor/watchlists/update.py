"""`lists update`: download the official list files over HTTPS and load each as a new version.

Downloads go through the feed fetcher (`monitor.feeds.fetch.fetch`): the SSRF guard on
every hop, redirects followed by hand, a body cap counted after decompression and a
deadline, with the list-sized limits `lists_max_bytes` / `lists_fetch_timeout`. The
ETag / Last-Modified of every file is kept (KeyValue) next to the downloaded copy under
`<data_dir>/lists/<dataset>/`, so an unchanged list costs a 304 and no reload. A
dataset's files are all fetched before any is swapped in, and the load itself is one
transaction, so an interrupted update leaves the previous version in place.
`settings.lists_mirror_url` fetches `<mirror>/<dataset>/<file>` instead (a mirror, or
a 127.0.0.1 server in the tests).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlmodel import Session

from monitor.feeds.fetch import FetchError, fetch
from monitor.models import KeyValue, utcnow
from monitor.netguard import Resolver
from monitor.settings import Settings
from monitor.watchlists.loaders.base import ListFormatError
from monitor.watchlists.store import load_file

log = logging.getLogger(__name__)

OFAC_SLS = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports"


@dataclass(frozen=True)
class ListSource:
    """Where a dataset's official files live: (local file name, URL) pairs; the first is loaded."""

    dataset: str
    format: str
    files: tuple[tuple[str, str], ...]

    def urls(self, settings: Settings) -> list[tuple[str, str]]:
        """(file name, URL) of each file, from the mirror when one is configured."""
        mirror = settings.lists_mirror_url.rstrip("/")
        if mirror:
            return [(name, f"{mirror}/{self.dataset}/{name}") for name, _url in self.files]
        return list(self.files)


SOURCES: dict[str, ListSource] = {
    s.dataset: s
    for s in (
        ListSource(
            "us_ofac_sdn",
            "ofac-csv",
            (
                ("sdn.csv", f"{OFAC_SLS}/SDN.CSV"),
                ("alt.csv", f"{OFAC_SLS}/ALT.CSV"),
                ("add.csv", f"{OFAC_SLS}/ADD.CSV"),
            ),
        ),
        ListSource("us_ofac_cons", "ofac-xml", (("consolidated.xml", f"{OFAC_SLS}/CONSOLIDATED.XML"),)),
        ListSource(
            "un_sc_sanctions",
            "un-xml",
            (("consolidated.xml", "https://scsanctions.un.org/resources/xml/en/consolidated.xml"),),
        ),
        ListSource(
            "eu_fsf",
            "eu-xml",
            (
                (
                    "eu_fsf.xml",
                    # the public token the EU publishes for its FSF download links
                    "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content"
                    "?token=dG9rZW4tMjAxNw",
                ),
            ),
        ),
        ListSource(
            "gb_hmt_sanctions",
            "uk-csv",
            (("ConList.csv", "https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.csv"),),
        ),
    )
}


@dataclass
class UpdateResult:
    """Outcome of updating one dataset."""

    dataset: str
    status: str  # loaded | unchanged | failed
    message: str
    version_id: int | None = None


def _validators_key(url: str) -> str:
    return f"lists.http:{url}"[:200]


def _get_validators(session: Session, url: str) -> dict[str, str]:
    row = session.get(KeyValue, _validators_key(url))
    if row is None:
        return {}
    try:
        value = json.loads(row.value)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _set_validators(session: Session, url: str, etag: str | None, last_modified: str | None) -> None:
    key = _validators_key(url)
    value = json.dumps({k: v for k, v in (("etag", etag), ("last_modified", last_modified)) if v})
    row = session.get(KeyValue, key)
    if row is None:
        session.add(KeyValue(key=key, value=value, updated_at=utcnow()))
    else:
        row.value = value
        row.updated_at = utcnow()
        session.add(row)


def _offline_hint(exc: FetchError, url: str) -> str:
    host = urlsplit(url).hostname or url
    if exc.kind in ("connect", "timeout"):
        return f"cannot reach {host} (offline or blocked?): {exc.message}"
    return f"{host}: {exc.message}"


def update_dataset(
    session: Session,
    settings: Settings,
    dataset: str,
    *,
    force: bool = False,
    resolver: Resolver | None = None,
    actor: str = "lists-update",
) -> UpdateResult:
    """Download one dataset's files (conditional GET) and load them if any changed."""
    source = SOURCES.get(dataset)
    if source is None:
        return UpdateResult(dataset, "failed", f"no download source for {dataset!r}; known: {', '.join(SOURCES)}")
    folder = Path(settings.data_dir) / "lists" / dataset
    folder.mkdir(parents=True, exist_ok=True)
    list_settings = settings.model_copy(
        update={"fetch_max_bytes": settings.lists_max_bytes, "fetch_timeout": settings.lists_fetch_timeout}
    )
    fetched: list[tuple[Path, bytes, str, str | None, str | None]] = []
    changed = force
    for name, url in source.urls(settings):
        target = folder / name
        validators = {} if force or not target.exists() else _get_validators(session, url)
        try:
            result = fetch(
                url,
                list_settings,
                etag=validators.get("etag"),
                last_modified=validators.get("last_modified"),
                resolver=resolver,
            )
        except FetchError as exc:
            return UpdateResult(dataset, "failed", _offline_hint(exc, url))
        if result.not_modified or result.body is None:
            continue
        changed = True
        fetched.append((target, result.body, url, result.etag, result.last_modified))
    if not changed:
        return UpdateResult(dataset, "unchanged", "not modified since the last download")
    # Swap the new files in only once every file of the dataset has arrived.
    for target, body, _url, _etag, _lm in fetched:
        part = target.with_suffix(target.suffix + ".part")
        part.write_bytes(body)
    backups: list[tuple[Path, Path | None]] = []
    for target, _body, _url, _etag, _lm in fetched:
        backup = target.with_suffix(target.suffix + ".prev") if target.exists() else None
        if backup is not None:
            target.replace(backup)
        target.with_suffix(target.suffix + ".part").replace(target)
        backups.append((target, backup))
    main = folder / source.files[0][0]
    try:
        # A rejected file raises while parsing, before anything is written.
        loaded = load_file(session, main, fmt=source.format, dataset=dataset, actor=actor)
    except (ListFormatError, ValueError) as exc:
        # Put the previous files back so the next conditional GET compares against them.
        for target, backup in backups:
            if backup is not None:
                backup.replace(target)
        return UpdateResult(dataset, "failed", f"downloaded file rejected: {exc}")
    for _target, backup in backups:
        if backup is not None:
            backup.unlink(missing_ok=True)
    for _target, _body, url, etag, last_modified in fetched:
        _set_validators(session, url, etag, last_modified)
    version = loaded.version
    if not loaded.new:
        return UpdateResult(dataset, "unchanged", f"downloaded files identical to version {version.number}", version.id)
    version.source = source.urls(settings)[0][1][:2048]
    session.add(version)
    return UpdateResult(
        dataset,
        "loaded",
        f"version {version.number}: {version.entities} entities (+{version.added} added, {version.changed} changed, "
        f"-{version.removed} removed, {version.skipped} skipped)",
        version.id,
    )


def update_lists(
    session: Session,
    settings: Settings,
    datasets: list[str] | None = None,
    *,
    force: bool = False,
    resolver: Resolver | None = None,
    actor: str = "lists-update",
) -> list[UpdateResult]:
    """Update each configured dataset in turn, committing each on its own; a failing dataset
    does not stop the others."""
    results = []
    for dataset in datasets or settings.lists_datasets:
        try:
            result = update_dataset(session, settings, dataset, force=force, resolver=resolver, actor=actor)
            session.commit()
        except Exception:
            session.rollback()
            raise
        log.info("list update", extra={"dataset": dataset, "status": result.status, "detail": result.message})
        results.append(result)
    return results

"""List loaders, one module per format, and format auto-detection.

Every loader streams its file and yields `EntityRecord`s (see `base`); `detect_format`
picks the loader from the file name and its first bytes.
"""

from __future__ import annotations

from pathlib import Path

from monitor.watchlists.loaders.base import EntityRecord, ListFormatError, Loader, LoadReport, NameRecord
from monitor.watchlists.loaders.eu_xml import EuXmlLoader
from monitor.watchlists.loaders.ofac_csv import OfacCsvLoader
from monitor.watchlists.loaders.ofac_xml import OfacXmlLoader
from monitor.watchlists.loaders.opensanctions import FtmJsonLoader, OpenSanctionsCsvLoader
from monitor.watchlists.loaders.uk_csv import UkCsvLoader
from monitor.watchlists.loaders.un_xml import UnXmlLoader
from monitor.watchlists.loaders.watchlist_yaml import WatchlistYamlLoader

LOADERS: dict[str, Loader] = {
    loader.format: loader
    for loader in (
        OfacCsvLoader(),
        OfacXmlLoader(),
        UnXmlLoader(),
        EuXmlLoader(),
        UkCsvLoader(),
        OpenSanctionsCsvLoader(),
        FtmJsonLoader(),
        WatchlistYamlLoader(),
    )
}
FORMATS = ("auto", *LOADERS)
SNIFF_BYTES = 64 * 1024


def get_loader(fmt: str) -> Loader:
    """The loader of a format name; ValueError names the known formats."""
    try:
        return LOADERS[fmt]
    except KeyError:
        raise ValueError(f"unknown list format {fmt!r}; known: {', '.join(LOADERS)}") from None


def detect_format(path: Path) -> str:
    """The format of a list file, from its name and first bytes; ListFormatError if none fits."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head.strip():
        raise ListFormatError(path, 1, "empty file")
    for fmt, loader in LOADERS.items():
        if loader.sniff(path, head):
            return fmt
    raise ListFormatError(path, 1, f"unrecognised list format (known: {', '.join(LOADERS)}); pass --format")


__all__ = [
    "FORMATS",
    "LOADERS",
    "EntityRecord",
    "ListFormatError",
    "LoadReport",
    "Loader",
    "NameRecord",
    "detect_format",
    "get_loader",
]

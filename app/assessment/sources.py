"""Check `seed` quotes in criteria files against the seed documents they cite.

A quote matches when, after collapsing whitespace and NFC-normalising both sides, it occurs in
the text made of the cited line and the lines after it, starting inside the cited line.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .criteria import CriteriaError, CriteriaSet, Source

#: How many following lines a quote may run over.
MAX_CONTINUATION_LINES = 40
_WS = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


class SeedLibrary:
    """Lazily reads seed files from one folder."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self._cache: dict[str, list[str] | None] = {}

    def lines(self, name: str) -> list[str] | None:
        if name not in self._cache:
            path = self.folder / Path(name).name
            self._cache[name] = path.read_text(encoding="utf-8").splitlines() if path.is_file() else None
        return self._cache[name]

    def check(self, source: Source) -> str | None:
        """Return None when the quote matches, else a message saying what is wrong."""
        lines = self.lines(source.file)
        if lines is None:
            return f"seed file {source.file!r} not found in {self.folder}"
        if not 1 <= source.line <= len(lines):
            return f"line {source.line} is outside {source.file} ({len(lines)} lines)"
        first = _norm(lines[source.line - 1])
        window = _norm(" ".join(lines[source.line - 1 : source.line - 1 + MAX_CONTINUATION_LINES]))
        quote = _norm(source.quote)
        if any(window.startswith(quote, pos) for pos in range(len(first) + 1)):
            return None
        return f"quote not found at {source.file}:{source.line} (quote starts {quote[:60]!r}; line reads {first[:80]!r})"


def check_sources(cset: CriteriaSet, file: str, library: SeedLibrary) -> list[CriteriaError]:
    """Check every source of a set against the seeds; errors point at the item's YAML line."""
    errors = []
    items: list[tuple[str, Source]] = []
    lb = cset.legal_basis
    if all(k in lb for k in ("file", "line", "quote")):
        items.append(("legal_basis", Source(lb["file"], int(lb["line"]), lb["quote"])))
    items += [(f"target {t.code}", t.source) for t in cset.targets]
    for g in cset.groups:
        if g.source:
            items.append((f"group {g.code}", g.source))
        items += [(f"indicator {i.code}", i.source) for i in g.indicators if i.source]
    for label, source in items:
        problem = library.check(source)
        if problem:
            errors.append(CriteriaError(file, cset.item_lines.get(label, 0), f"{label}: {problem}"))
    return errors

"""Names of the seed documents that criteria files cite, and citations in words.

A criteria `source` names a seed file and a line ("004_9df586bd548f38af.txt", 2751). People read the
document's name and the line instead: "Đề án xây dựng … Hải Phòng, dòng 2751". The names live in
documents.yaml next to this module (the app never reads the seed folder at runtime). Pure: no Flask.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

DOCUMENTS_FILE = Path(__file__).with_name("documents.yaml")


@cache
def documents() -> dict[str, dict[str, str]]:
    """{seed file name: {"vi": name, "en": name}} from documents.yaml (read once)."""
    data = yaml.safe_load(DOCUMENTS_FILE.read_text(encoding="utf-8")) or {}
    return {str(k): {"vi": str(v["vi"]), "en": str(v.get("en") or v["vi"])} for k, v in data.items()}


def document_name(file: str, lang: str = "vi") -> str:
    """The name of the seed document `file` in `lang` ('vi' or 'en'); an unknown file gives
    "tài liệu <file>" / "document <file>" so nothing is hidden."""
    names = documents().get(Path(file or "").name)
    if names is None:
        return f"document {file}" if lang == "en" else f"tài liệu {file}"
    return names.get(lang) or names["vi"]


def raw_ref(file: str, line: int | str | None) -> str:
    """The machine reference "file:line" (or just the file without a line), as in the criteria files."""
    return f"{file}:{line}" if line not in (None, "") else str(file)


def citation_text(file: str, line: int | str | None, lang: str = "vi") -> str:
    """A citation in words: "<document name>, dòng 2751" (English "<name>, line 2751"); no line → the name only."""
    name = document_name(file, lang)
    if line in (None, ""):
        return name
    return f"{name}, {'line' if lang == 'en' else 'dòng'} {line}"

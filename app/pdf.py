"""PDF rendering with WeasyPrint behind a URL fetcher that serves only the app's own static files.

Templates reference bundled files as `appstatic:<path under the root>` (fonts, stylesheets). Any other
URL — http(s), file:, data:, ftp: — is refused and recorded in `fetcher.refused`, so user text can
never make the renderer read local files or reach the network.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

log = logging.getLogger(__name__)
STATIC_ROOT = Path(__file__).resolve().parent / "static"
SCHEME = "appstatic:"


class AppStaticFetcher(URLFetcher):
    """Serves `appstatic:` URLs from one folder; refuses everything else."""

    def __init__(self, root: Path = STATIC_ROOT):
        super().__init__(allowed_protocols=[], allow_redirects=False, timeout=1)
        self.root = root.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None):
        if not url.startswith(SCHEME):
            self.refused.append(url)
            log.warning("PDF renderer refused to fetch %s", url[:200])
            raise ValueError(f"refused URL: {url[:80]}")
        relative = url[len(SCHEME):].lstrip("/")
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            self.refused.append(url)
            raise ValueError(f"refused URL: {url[:80]}")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".ttf":
            mime = "font/ttf"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})


def render_pdf(html: str, fetcher: AppStaticFetcher | None = None, **options) -> bytes:
    """Render HTML (already escaped by Jinja) to PDF bytes; fonts are embedded (subset)."""
    fetcher = fetcher or AppStaticFetcher()
    return HTML(string=html, base_url=SCHEME + "/", url_fetcher=fetcher).write_pdf(**options)

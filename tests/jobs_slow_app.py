"""A worker that can be killed deterministically at 85 % of a PDF export (tests only).

`python -m flask --app tests.jobs_slow_app:application worker` runs the real app and the real worker. The one
change: rendering the PDF (the step after the report data, when the job shows 85 %) first writes
`$SLOW_JOB_DIR/paused-<pid>` and then waits until `$SLOW_JOB_DIR/go` exists. A test waits for the first file,
then kills or freezes the worker at that point.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from app import create_app
from app import pdf as pdf_module

_real_render_pdf = pdf_module.render_pdf


def _render_pdf_after_go(html: str, *args, **kwargs) -> bytes:
    """Announce the pause, wait for the go file (at most 10 minutes), then render for real."""
    folder = Path(os.environ["SLOW_JOB_DIR"])
    (folder / f"paused-{os.getpid()}").write_text("85", encoding="utf-8")
    deadline = time.monotonic() + 600
    while not (folder / "go").exists():
        if time.monotonic() > deadline:
            raise RuntimeError("test hook: the go file never appeared")
        time.sleep(0.05)
    return _real_render_pdf(html, *args, **kwargs)


pdf_module.render_pdf = _render_pdf_after_go
application = create_app()

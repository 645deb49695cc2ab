"""The floor for bench/web.py: a bare Flask endpoint doing one INSERT equivalent to saving an answer."""

from __future__ import annotations

import json
import os

import sqlalchemy as sa
from flask import Flask, request

app = Flask(__name__)
engine = sa.create_engine(os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1), pool_pre_ping=True)


@app.post("/save")
def save():
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO bench_bare (submission_id, indicator_code, value, explanation) VALUES (1, :c, :v, :e)"),
                     {"c": request.form.get("code", "G1.1"), "v": json.dumps({"v": request.form.get("value")}), "e": request.form.get("e", "")})
    return "ok"

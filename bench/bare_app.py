"""Floors for bench/web.py and bench/surveys.py: bare Flask endpoints, each doing one equivalent INSERT."""

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


# The floor for bench/surveys.py: the citizen survey's shape (a form page with a hidden token, then one
# POST of the answers) with one INSERT and nothing else: no session, CSRF, stamp, limit or template.
SURVEY_FORM = ('<!doctype html><meta charset="utf-8"><form method="post">'
               '<input id="csrf_token" name="csrf_token" type="hidden" value="bare-token">'
               '<input id="started" name="started" type="hidden" value="bare-stamp"></form>')


@app.get("/khao-sat/<code>")
def survey_form(code: str):
    return SURVEY_FORM


@app.post("/khao-sat/<code>")
def survey_send(code: str):
    answers = {k[2:]: v for k, v in request.form.items() if k.startswith("q_") and k != "q_C1" and v}
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO bench_survey_bare (link_code, answers, comment) VALUES (:c, :a, :t)"),
                     {"c": code, "a": json.dumps(answers), "t": request.form.get("q_C1", "")})
    return '<!doctype html><meta charset="utf-8"><h1>Cảm ơn bạn!</h1>'

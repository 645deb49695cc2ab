"""WSGI entry point (gunicorn wsgi:app) and `flask --app wsgi ...` target."""

from app import create_app

app = create_app()

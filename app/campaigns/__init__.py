"""Criteria versions stored in the database and assessment campaigns built on them."""

"""Criteria sets in the web UI ("Bộ tiêu chí"): versions, drafts, preview, compare, code mappings, owners."""

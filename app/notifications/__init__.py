"""In-app notifications (badge + list) and optional outgoing e-mail."""

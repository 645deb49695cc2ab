"""Recognition decisions (quyết định công nhận)."""

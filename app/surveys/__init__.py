"""Citizen surveys (“Nhân dân trực tiếp đánh giá”): public links, responses, exclusions, results."""

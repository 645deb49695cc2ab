"""Self-assessments: the questionnaire, answers, evidence files, submission and score."""

"""The submission workflow shared by officials and reviewers (states, transitions, results)."""

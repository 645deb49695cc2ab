"""City review: appraisal of submitted self-assessments, returns, approval, recognition decisions."""

"""City-level compliance reports: plan vs actual, funnel, ranking, weakest criteria, heatmap, trend, unit card.

One service module per concern; each runs a handful of aggregate SQL queries. Judgements (on track,
heat classes) come from the pure functions in app.assessment.rollup.
"""

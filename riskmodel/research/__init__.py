"""The researcher's toolkit over the engine: cohorts and files, validation metrics and report,
recalibration and refitting with their provenance, simulation, and the ``bmrisk`` CLI.

Needs the ``research`` extra (pandas, pyarrow, statsmodels, matplotlib, scikit-learn, Jinja2).
"""

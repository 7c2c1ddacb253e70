"""Companion package of the video anomaly detection course.

Every notebook in ``notebooks/`` imports this package; each public function's docstring names
the notebook that introduces it.
"""

__version__ = "0.1.0"

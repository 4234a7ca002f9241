"""The statistical core of Mutuals.

Pure functions on polars / numpy data. Nothing in this package imports Django:
a test enforces it. Each estimate follows one flow: a thin function builds a
frozen config, an estimator computes, and a result object offers the same
accessors everywhere, including ``tidy()`` returning a polars table.
"""

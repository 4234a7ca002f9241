"""Scripts shipped in every replication package (see :mod:`mutuals.evaluation.replication`)."""

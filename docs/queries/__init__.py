"""The documented example queries (``*.rq``), installed as ``emis_lod.examples`` for the query UI."""

"""The core: pure functions that read EMIS tables, map them to RDF, validate and load a release."""

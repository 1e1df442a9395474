"""EMIS linked open data: EMIS tables -> RDF -> SHACL -> Oxigraph -> SPARQL and dereferenceable URIs."""

__version__ = "0.1.0"

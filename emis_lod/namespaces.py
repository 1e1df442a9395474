"""Namespaces: the fixed W3C/schema.org ones and the base-dependent ones of a deployment."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, ORG, OWL, PROV, RDF, RDFS, SKOS, VOID, XSD

from .uris import Uris

SCHEMA = Namespace("https://schema.org/")
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
SH = Namespace("http://www.w3.org/ns/shacl#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SPDX = Namespace("http://spdx.org/rdf/terms#")

FIXED: dict[str, str] = {
    "rdf": str(RDF), "rdfs": str(RDFS), "xsd": str(XSD), "owl": str(OWL),
    "skos": str(SKOS), "schema": str(SCHEMA), "org": str(ORG), "geo": str(GEO),
    "dcat": str(DCAT), "dcterms": str(DCTERMS), "prov": str(PROV), "void": str(VOID),
    "sh": str(SH), "sd": str(SD), "spdx": str(SPDX),
}


def prefixes(uris: Uris) -> dict[str, str]:
    """Every prefix the platform uses; the SPARQL endpoint predeclares these."""
    return {**FIXED, "emis": uris.vocab, "concept": uris.concepts + "concept/"}

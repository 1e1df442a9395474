"""JSON-LD documents about one resource, compacted against the published ``@context``.

The published context (``ontology/context.jsonld``) is a template: the namespaces that depend on
the deployment (``emis:``, ``concept:``) are written with a ``{base}`` placeholder, which
:func:`jsonld_context` replaces with the base URI of the release being served.
:func:`compact_jsonld` writes a small graph so that a school is the top object with short
readable keys (pyoxigraph's own JSON-LD, used for whole graphs, is the expanded form).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import pyoxigraph as ox
from rdflib.namespace import RDF, XSD

XSD_NS = str(XSD)
RDF_TYPE = str(RDF.type)
RDF_LANG_STRING = str(RDF.langString)
XSD_STRING = str(XSD.string)


# ------------------------------------------------------------------------ JSON-LD

@lru_cache(maxsize=8)
def _context_template() -> str:
    return resources.files("emis_lod.ontology").joinpath("context.jsonld").read_text("utf-8")


def jsonld_context(base: str) -> dict[str, Any]:
    """The published context document for a deployment base (``{base}`` filled in): one object
    per base, shared by every caller (read it, never change it)."""
    if not base.endswith("/"):
        base += "/"
    return _context_of(base)


@lru_cache(maxsize=8)
def _context_of(base: str) -> dict[str, Any]:
    return dict(json.loads(_context_template().replace("{base}", base)))


@dataclass(frozen=True)
class _Term:
    name: str
    iri: str
    coerce: str | None  # "@id", a datatype IRI, or None
    language_map: bool


class JsonLdCompactor:
    """Writes small RDF graphs as compacted JSON-LD against one context.

    Only the parts of JSON-LD compaction our context needs: keyword aliases, prefixes, terms
    with ``@type`` coercion (``@id`` or a datatype), ``@container: @language`` maps and
    ``@reverse`` terms. A value that fits no term goes under its compact IRI (``emis:foo``) as
    an explicit value object, so the output always expands to exactly the input triples. Nodes
    described in the graph are embedded where they are first reached, breadth-first from the
    root, so a school's direct links (district, region, code-list concepts, enrolment records)
    are objects with labels. A node that no link reaches but that links to an embedded node by
    a property with a reverse term (a finance line's ``emis:school``) is embedded under that
    term in the node it links to, so the root stays the one top object.
    """

    def __init__(self, context: Mapping[str, Any]) -> None:
        ctx = context.get("@context", context)
        self.context = ctx
        self.aliases: dict[str, str] = {}
        self.prefixes: dict[str, str] = {}
        simple: dict[str, str] = {}
        raw: dict[str, tuple[str, str | None, bool]] = {}
        self.reverse_terms: dict[str, str] = {}  # property IRI -> the term of its reverse
        for name, definition in ctx.items():
            if name.startswith("@"):
                continue
            if isinstance(definition, dict) and "@reverse" in definition:
                continue  # after the prefixes are known
            if isinstance(definition, str):
                if definition.startswith("@"):
                    self.aliases[definition] = name
                    continue
                raw[name] = (definition, None, False)
            elif isinstance(definition, dict):
                iri = definition.get("@id", name)
                raw[name] = (iri, definition.get("@type"),
                             definition.get("@container") == "@language")
        for name, (iri, _, _) in raw.items():
            if isinstance(ctx[name], str) and iri[-1:] in ("/", "#", ":", "?", "[", "]", "@"):
                self.prefixes[name] = iri
        self.terms_by_iri: dict[str, list[_Term]] = {}
        for name, (iri, coerce, lang) in raw.items():
            full = self._expand(iri)
            term = _Term(name, full, self._expand(coerce) if coerce and coerce != "@id"
                         else coerce, lang)
            self.terms_by_iri.setdefault(full, []).append(term)
            if isinstance(ctx[name], str) and name not in self.prefixes:
                simple.setdefault(full, name)
        self.simple_terms = simple
        self._ordered_prefixes = sorted(self.prefixes.items(), key=lambda kv: -len(kv[1]))
        for name, definition in ctx.items():
            if isinstance(definition, dict) and "@reverse" in definition:
                self.reverse_terms.setdefault(self._expand(definition["@reverse"]), name)

    def _expand(self, value: str) -> str:
        prefix, colon, rest = value.partition(":")
        if colon and not rest.startswith("//"):
            definition = self.context.get(prefix)
            if isinstance(definition, str):
                return definition + rest
        return value

    def _key(self, keyword: str) -> str:
        return self.aliases.get(keyword, keyword)

    def compact_iri(self, iri: str) -> str:
        """``prefix:local`` for an IRI under a context prefix, else the IRI itself."""
        for prefix, ns in self._ordered_prefixes:
            if iri.startswith(ns) and len(iri) > len(ns):
                local = iri[len(ns):]
                candidate = f"{prefix}:{local}"
                if not local.startswith("//") and candidate not in self.context:
                    return candidate
        return iri

    def compact_vocab(self, iri: str) -> str:
        """A class or datatype IRI: a term if the context has one, else a compact IRI."""
        return self.simple_terms.get(iri) or self.compact_iri(iri)

    @staticmethod
    def _node_id(term: ox.NamedNode | ox.BlankNode) -> str:
        return term.value if isinstance(term, ox.NamedNode) else "_:" + term.value

    @staticmethod
    def _native(literal: ox.Literal) -> Any:
        """A JSON number or boolean when it reads back as the same lexical form, else a string."""
        dt = literal.datatype.value
        lexical = literal.value
        if dt == XSD_NS + "boolean" and lexical in ("true", "false"):
            return lexical == "true"
        if dt in (XSD_NS + "integer", XSD_NS + "nonNegativeInteger", XSD_NS + "positiveInteger",
                  XSD_NS + "int", XSD_NS + "long") and re.fullmatch(r"0|-?[1-9][0-9]{0,14}", lexical):
            return int(lexical)
        return lexical

    def _value_object(self, literal: ox.Literal) -> Any:
        """A literal where no term coerces its type: a string, a JSON number or boolean when
        JSON-LD reads those back as the same literal (xsd:integer, xsd:boolean), else
        an explicit value object."""
        if literal.language:
            return {"@value": literal.value, "@language": literal.language}
        dt = literal.datatype.value
        if dt == XSD_STRING:
            return literal.value
        if dt in (XSD_NS + "integer", XSD_NS + "boolean"):
            native = self._native(literal)
            if not isinstance(native, str):
                return native
        return {"@value": literal.value, "@type": self.compact_vocab(dt)}

    def _place(self, predicate: str, obj: Any) -> tuple[str, str, Any]:
        """``(key, mode, value)`` for one object; mode is "lang", "ref", "node" or "value"."""
        for term in self.terms_by_iri.get(predicate, ()):
            if isinstance(obj, ox.Literal):
                if term.language_map:
                    if obj.language:
                        return term.name, "lang", obj
                    continue
                if term.coerce is None:
                    return term.name, "value", self._value_object(obj)
                if term.coerce != "@id" and not obj.language and obj.datatype.value == term.coerce:
                    return term.name, "value", self._native(obj)
            elif isinstance(obj, (ox.NamedNode, ox.BlankNode)):
                if term.coerce == "@id":
                    return term.name, "ref", obj
                if term.coerce is None and not term.language_map:
                    return term.name, "node", obj
        key = self.compact_iri(predicate)
        if isinstance(obj, ox.Literal):
            return key, "value", self._value_object(obj)
        return key, "node", obj

    def _order(self, value: Any) -> tuple[Any, ...]:
        """Sort key of values: node objects by id, numbers in the id compared as numbers
        (``...-g2`` before ``...-g10``), then everything else by its JSON text."""
        id_key = self._key("@id")
        if isinstance(value, dict) and id_key in value:
            text = str(value[id_key])
        else:
            text = json.dumps(value, sort_keys=True, ensure_ascii=False)
        return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                     for part in re.split(r"(\d+)", text))

    def compact(self, triples: Iterable[ox.Triple], root: str | None,
                context_ref: Any) -> dict[str, Any]:
        """The JSON-LD document of ``triples``, ``root`` (an IRI) as the top object."""
        description: dict[Any, list[tuple[str, Any]]] = {}
        for t in sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate),
                                                     str(t.object))):
            description.setdefault(t.subject, []).append((t.predicate.value, t.object))

        # breadth-first: each described node is embedded once, where it is first reached
        owner: dict[Any, tuple[Any, str, Any]] = {}

        def claim(start: Any) -> None:
            queue = [start]
            while queue:
                nxt = []
                for node in queue:
                    for predicate, obj in description.get(node, ()):
                        # a class is never embedded under the node it types: "@type" takes IRIs
                        if (obj in description and obj not in owner and obj != start
                                and predicate != RDF_TYPE and not isinstance(obj, ox.Literal)):
                            owner[obj] = (node, predicate, obj)
                            nxt.append(obj)
                queue = nxt

        # nodes nested under a reverse term: parent -> [(reverse term, predicate, child)]
        reverse: dict[Any, list[tuple[str, str, Any]]] = {}

        def claim_reverse() -> None:
            """Nest unreached nodes that link to a nested one by a property with a reverse
            term, until none is left."""
            found = True
            while found:
                found = False
                for node, pairs in description.items():
                    if node in owner:
                        continue
                    for predicate, obj in pairs:
                        term = self.reverse_terms.get(predicate)
                        if term and obj in owner and not isinstance(obj, ox.Literal):
                            owner[node] = (obj, "^" + predicate, node)
                            reverse.setdefault(obj, []).append((term, predicate, node))
                            claim(node)
                            found = True
                            break

        root_node = ox.NamedNode(root) if root else None
        tops: list[Any] = []
        if root_node is not None and root_node in description:
            tops.append(root_node)
            owner[root_node] = (None, "", None)
            claim(root_node)
            claim_reverse()
        for node in description:
            if node not in owner:
                owner[node] = (None, "", None)
                tops.append(node)
                claim(node)

        def build(node: Any) -> dict[str, Any]:
            out: dict[str, Any] = {self._key("@id"): self._node_id(node)}
            types: list[str] = []
            grouped: dict[str, list[Any]] = {}
            languages: dict[str, dict[str, list[str]]] = {}
            parent = owner.get(node, (None, "", None))
            for predicate, obj in description.get(node, ()):
                if predicate == RDF_TYPE and isinstance(obj, ox.NamedNode):
                    types.append(self.compact_vocab(obj.value))
                    continue
                if parent[1] == "^" + predicate and obj == parent[0]:
                    continue  # said by nesting this node under the parent's reverse term
                key, mode, value = self._place(predicate, obj)
                if mode == "lang":
                    languages.setdefault(key, {}).setdefault(value.language, []).append(
                        value.value)
                    continue
                if mode in ("ref", "node"):
                    embedded = owner.get(value) == (node, predicate, value)
                    if embedded:
                        value = build(value)
                    elif mode == "ref":
                        value = self._node_id(value)
                    else:
                        value = {self._key("@id"): self._node_id(value)}
                grouped.setdefault(key, []).append(value)
            for term, _, child in reverse.get(node, ()):
                grouped.setdefault(term, []).append(build(child))
            if types:
                out[self._key("@type")] = types[0] if len(types) == 1 else sorted(types)
            for key, by_lang in languages.items():
                grouped.setdefault(key, []).append(
                    {lang: vs[0] if len(vs) == 1 else sorted(vs)
                     for lang, vs in sorted(by_lang.items())})
            for key in sorted(grouped):
                values = grouped[key]
                out[key] = values[0] if len(values) == 1 else sorted(values, key=self._order)
            return out

        if len(tops) == 1:
            return {"@context": context_ref, **build(tops[0])}
        return {"@context": context_ref, "@graph": [build(n) for n in tops]}


def compact_jsonld(triples: Iterable[ox.Triple], *, root: str | None, context: Mapping[str, Any],
                   context_url: str | None = None) -> dict[str, Any]:
    """Compacted JSON-LD for a small graph; ``@context`` is ``context_url`` when given."""
    known = _COMPACTORS.get(id(context))
    if known is not None and known[0] is context:    # a published context: its compactor is made
        compactor = known[1]
    else:
        compactor = _compactor(json.dumps(context, sort_keys=True))
        if len(_COMPACTORS) < 8:
            _COMPACTORS[id(context)] = (context, compactor)
    ref: Any = context_url if context_url else context.get("@context", context)
    return compactor.compact(triples, root, ref)


_COMPACTORS: dict[int, tuple[Mapping[str, Any], JsonLdCompactor]] = {}  # by the context's id


@lru_cache(maxsize=8)
def _compactor(context_json: str) -> JsonLdCompactor:
    return JsonLdCompactor(json.loads(context_json))


def dumps_jsonld(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

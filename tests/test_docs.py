"""Docs that cannot lie: the README's settings, mapping keys, commands and queries are checked."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import pandas as pd
import pytest

from emis_lod.loaders import releases
from emis_lod.namespaces import prefixes
from emis_lod.settings import Settings
from emis_lod.uris import Uris

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
QUERIES = re.findall(r"```sparql\n(.*?)```", README, flags=re.DOTALL)


def test_every_setting_is_documented() -> None:
    for f in fields(Settings):
        assert f"| `{f.name}` |" in README, f"setting {f.name} missing from the README"
        assert f"`{f.default}`" in README or f.default == "", f"default of {f.name} not in README"


def test_every_mapping_key_is_documented() -> None:
    schema = json.loads((ROOT / "mappings" / "mapping.schema.json").read_text(encoding="utf-8"))
    keys = set(schema["properties"]) | set(schema["$defs"]["column"]["properties"]) \
        | set(schema["$defs"]["resource"]["properties"])
    for key in keys:
        assert f"`{key}" in README or f"{key}`" in README or f".{key}" in README, \
            f"mapping key {key} missing from the README"


def test_quick_start_is_what_ci_runs() -> None:
    assert "make demo" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo: install( nginx)?\n\t\$\(BIN\)/emis-lod demo$", makefile, flags=re.MULTILINE)


@pytest.mark.parametrize("number", range(len(QUERIES)))
def test_readme_query_runs(store, number: int) -> None:
    rows = list(store.query(QUERIES[number], prefixes=prefixes(Uris("http://data.test/")),
                            use_default_graph_as_union=True))
    # the schools teaching in Uzbek may be none in a small demo set
    assert 'notation "uz"' in QUERIES[number] or rows, "the example query returns nothing on the demo data"


def test_pupils_per_region_match_the_source(store, demo_source, built) -> None:
    """The README's pupils-per-region query gives the figures pandas computes from the export."""
    query = next(q for q in QUERIES if "SUM(?pupils) AS ?pupils" in q and "?region" in q)
    rows = store.query(query, prefixes=prefixes(Uris("http://data.test/")),
                       use_default_graph_as_union=True)
    got = {r["region"].value.rsplit("/", 1)[-1]: int(r["pupils"].value) for r in rows}
    src = pd.read_csv(demo_source / "schools.csv", sep=";", encoding="cp1251", dtype=str,
                      keep_default_na=False)
    src.index = src.index + 2
    report = pd.read_csv(built.release_dir / releases.REJECTIONS)
    rejected = set(report.loc[report["table"] == "schools", "row"])
    ok = src[~src.index.isin(rejected)]
    grades = [c for c in ok.columns if re.fullmatch(r"g\d+_[mf]", c)]
    pupils = ok[grades].apply(lambda c: pd.to_numeric(c.str.strip().replace("", "0"))).sum(axis=1)
    want = pupils.groupby(ok["region_code"].str.strip()).sum().to_dict()
    assert got == {k: int(v) for k, v in want.items()}

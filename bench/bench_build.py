"""Benchmark: build time of N schools next to pyoxigraph's raw bulk load of the same triples.

Run on demand (``make bench`` or ``python bench/bench_build.py --schools 20000``); it is
not a test. Every figure is measured in this run on this machine, each step in its own
process so that peak memory (max RSS) is that step's own:

1. generate the demo export (N schools);
2. ``emis-lod build`` of it (read, map, load, validate, write), with per-phase times;
3. the baseline: the built release's triples dumped as N-Quads and bulk-loaded into a
   fresh on-disk Oxigraph store, the ceiling a build can approach;
4. ratios: build / bulk load, and triples per second of each.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

STEP = textwrap.dedent("""
    import json, resource, sys, time
    started = time.perf_counter()
    result = {}
    step = sys.argv[1]
    if step == "generate":
        from emis_lod.generator import generate
        generate(__import__("pathlib").Path(sys.argv[2]), schools=int(sys.argv[3]), seed=int(sys.argv[4]))
    elif step == "build":
        from pathlib import Path
        from emis_lod.loaders.build import build
        from emis_lod.settings import load_settings
        report = build(Path(sys.argv[2]), Path(sys.argv[3]),
                       load_settings(base_uri="http://127.0.0.1:8000/", validator=sys.argv[4]),
                       echo=lambda *_: None)
        result = {"triples": report.triples, "rows_rejected": report.rejected,
                  "rows_read": sum(t.rows_read for t in report.tables), "phases": report.phases,
                  "release": str(report.release_dir)}
    elif step == "dump":
        import pyoxigraph as ox
        store = ox.Store.read_only(sys.argv[2])
        store.dump(output=sys.argv[3], format=ox.RdfFormat.N_QUADS)
    elif step == "bulk_load":
        import pyoxigraph as ox
        store = ox.Store(sys.argv[3])
        store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_QUADS)
        store.flush()
        result = {"triples": len(store)}
    result["seconds"] = time.perf_counter() - started
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))
""")


def run(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", STEP, *args], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schools", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--validator", choices=["sparql", "pyshacl"], default="sparql")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the files here instead of a temporary directory")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="emis-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        wall = time.perf_counter()
        gen = run("generate", str(work / "source"), str(args.schools), str(args.seed))
        build = run("build", str(work / "source"), str(work / "store"), args.validator)
        dump = Path(work / "release.nq")
        run("dump", str(Path(build["release"]) / "oxigraph"), str(dump))
        bulk = run("bulk_load", str(dump), str(work / "baseline-store"))

        triples = build["triples"]
        print(f"schools: {args.schools} (seed {args.seed}); source rows: {build['rows_read']}, "
              f"rejected: {build['rows_rejected']}; triples: {triples}; validator: {args.validator}")
        print(f"{'step':<28}{'seconds':>10}{'triples/s':>12}{'max RSS MB':>12}")
        print(f"{'generate':<28}{gen['seconds']:>10.2f}{'':>12}{gen['max_rss_mb']:>12.0f}")
        print(f"{'build (all phases)':<28}{build['seconds']:>10.2f}"
              f"{triples / build['seconds']:>12,.0f}{build['max_rss_mb']:>12.0f}")
        for phase, seconds in build["phases"].items():
            print(f"{'  ' + phase:<28}{seconds:>10.2f}")
        print(f"{'baseline: oxigraph bulk_load':<28}{bulk['seconds']:>10.2f}"
              f"{bulk['triples'] / bulk['seconds']:>12,.0f}{bulk['max_rss_mb']:>12.0f}")
        print(f"ratio build / bulk_load: {build['seconds'] / bulk['seconds']:.2f}x "
              f"(1.0 would be loading at the bulk loader's ceiling)")
        print(f"ratio build load phase / bulk_load: "
              f"{build['phases'].get('load', 0) / bulk['seconds']:.2f}x")
        print(f"peak build memory: {build['max_rss_mb']:.0f} MB (target < 3000 MB); "
              f"wall time of the benchmark: {time.perf_counter() - wall:.0f} s")


if __name__ == "__main__":
    main()

"""Benchmark: build time and memory of N schools next to pyoxigraph's raw bulk load of the same triples.

Run on demand (``make bench`` or ``python bench/bench_build.py --schools 20000``); it is
not a test and asserts nothing. Every figure is measured in this run on this machine, each
step in its own process:

1. generate the demo export (N schools);
2. ``build`` of it (read, map, load, validate, derive, indicators, dumps, write). The build
   announces its phases through the Progress protocol (``loaders/progress.py``); the bench's
   Progress writes each announcement with its time to an events file, while this process
   samples the resident memory of the build's whole process tree (the build and any children
   it starts) every ``--interval`` seconds from ``/proc`` and the size of the store directory
   every second, with the machine's busy CPU time (``/proc/stat``). Each sample is attributed
   to the phase running when it was taken, so every phase gets its wall time, its peak RSS,
   its peak disk and the cores it kept busy (the bench runs alone on the machine);
3. the baseline: the built release's triples dumped as N-Quads, then bulk-loaded by
   ``pyoxigraph.Store.bulk_load`` into an empty on-disk store, timed and sampled the same way;
4. ratios: build / bulk load, each phase's share of the build; ``--compare OTHER.json`` (a
   run at another size) prints how each phase grew between the two sizes and flags a phase
   that grew more than linearly.

``--json FILE`` writes every figure as one JSON object; ``--show FILE`` prints a saved one again.
The build checks first that it fits the machine (``loaders/capacity.py``); to measure a build
the estimate says will not fit, run the bench with ``EMIS_LOD_CAPACITY_CHECK=warn``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")
DISK_EVERY = 1.0          # seconds between two samples of the store directory's size
STDERR_TAIL = 80          # lines of a failed step's stderr shown
GROWTH_SLACK = 1.1        # a phase may grow this much more than the number of schools
TOO_SHORT = 0.5           # seconds: below this a phase's growth factor is noise


# ------------------------------------------------------------------------ inside a step process

class _Events:
    """Phase announcements of a step, one JSON line each: what, when (monotonic clock, the
    same in every process of the machine) and the process's peak RSS so far (VmHWM)."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "a", encoding="utf-8", buffering=1)

    def mark(self, event: str, phase: str | None = None) -> None:
        self._file.write(json.dumps({"event": event, "phase": phase, "t": time.monotonic(),
                                     "hwm_kb": _status_kb("VmHWM")}) + "\n")
        self._file.flush()


class _RecordingProgress:
    """The build's Progress (loaders/progress.py) that records when each phase starts."""

    def __init__(self, events: _Events) -> None:
        self._events = events

    def start(self, phase: str, total: int | None = None) -> None:
        self._events.mark("start", phase)

    def advance(self, item: str) -> None:
        pass

    def close(self) -> None:
        self._events.mark("close")


def _status_kb(key: str, pid: int | str = "self") -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _step(name: str, events_path: Path, result_path: Path, args: list[str]) -> None:
    events = _Events(events_path)
    result: dict[str, Any] = {}
    if name == "generate":
        from emis_lod.profiles import load_profile

        events.mark("start", "generate")
        load_profile(args[3]).generate(Path(args[0]), int(args[1]), int(args[2]))
        events.mark("close")
    elif name == "build":
        from emis_lod.loaders.build import build
        from emis_lod.profiles import load_profile
        from emis_lod.settings import load_settings

        settings = load_settings(base_uri="http://127.0.0.1:8000/", validator=args[2])
        events.mark("call")
        report = build(Path(args[0]), Path(args[1]), settings, echo=lambda *_: None,
                       progress=_RecordingProgress(events), profile=load_profile(args[3]))
        events.mark("return")
        result = {"triples": report.triples, "rows_read": sum(t.rows_read for t in report.tables),
                  "rows_rejected": report.rejected,
                  "rows_by_table": {t.table: t.rows_read for t in report.tables},
                  "timer_phases": report.phases, "build_seconds": report.seconds,
                  "release": str(report.release_dir)}
    elif name == "dump":
        import pyoxigraph as ox

        events.mark("start", "dump")
        store = ox.Store.read_only(args[0])
        store.dump(output=args[1], format=ox.RdfFormat.N_QUADS)
        del store
        events.mark("close")
    elif name == "bulk_load":
        import pyoxigraph as ox

        events.mark("start", "bulk_load")
        store = ox.Store(args[1])
        store.bulk_load(path=args[0], format=ox.RdfFormat.N_QUADS)
        store.flush()
        events.mark("close")
        result = {"triples": len(store)}
        del store
    else:
        raise SystemExit(f"unknown step {name}")
    events.mark("exit")
    result["ru_maxrss_self_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["ru_maxrss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result_path.write_text(json.dumps(result), encoding="utf-8")


# ------------------------------------------------------------------------ sampling from outside

def _children(pid: int) -> list[int]:
    """Child processes of ``pid``: from /proc/PID/task/*/children where the kernel has it,
    else by scanning every process's parent."""
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    try:
        for task in tasks:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                kids += [int(k) for k in f.read().split()]
        return kids
    except FileNotFoundError:
        pass
    except OSError:
        return kids
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    if int(f.read().rpartition(")")[2].split()[1]) == pid:
                        kids.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return kids


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants now (0 once it has gone)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/statm", encoding="ascii") as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, ValueError, IndexError):
            continue
        todo += _children(p)
    return total


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (user, nice, system, irq, softirq): the
    bench runs alone, so their rate over a phase is the cores the phase kept busy, its
    children (the workers) included."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
    except OSError:
        return 0.0
    return sum(int(fields[i]) for i in (1, 2, 3, 6, 7)) / os.sysconf("SC_CLK_TCK")


def disk_bytes(path: Path) -> int:
    """Bytes allocated on disk under ``path`` (files may come and go while it is walked)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                continue
    return total


@dataclass
class Sample:
    t: float
    rss: int                 # bytes, whole process tree
    disk: int | None = None  # bytes under the watched directory, taken about once a second
    cpu: float = 0.0         # the machine's busy CPU seconds so far (all cores, /proc/stat)


@dataclass
class StepRun:
    name: str
    started: float
    ended: float
    samples: list[Sample]
    events: list[dict[str, Any]]
    result: dict[str, Any]
    segments: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def sampled_peak_mb(self) -> float:
        return max((s.rss for s in self.samples), default=0) / MB

    @property
    def peak_rss_mb(self) -> float:
        """The sampled tree peak, or the process's own exact peak if that is higher (a spike
        shorter than the sampling interval)."""
        return max(self.sampled_peak_mb, self.result.get("ru_maxrss_self_mb", 0.0))

    @property
    def peak_disk_mb(self) -> float:
        return max((s.disk for s in self.samples if s.disk is not None), default=0) / MB

    @property
    def cores_busy(self) -> float:
        """The machine's busy CPU over the step, in cores."""
        if len(self.samples) < 2:
            return 0.0
        first, last = self.samples[0], self.samples[-1]
        return round((last.cpu - first.cpu) / max(last.t - first.t, 1e-9), 2)

    def call_seconds(self) -> float:
        """The work of the step without starting the interpreter and importing: the build()
        call, or from the step's first announcement to its close."""
        marks = {e["event"]: e["t"] for e in self.events}
        if "call" in marks and "return" in marks:
            return marks["return"] - marks["call"]
        first = next(e["t"] for e in self.events if e["event"] == "start")
        return marks.get("close", self.ended) - first


class Sampler(threading.Thread):
    def __init__(self, pid: int, interval: float, watch: Path | None) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.watch = pid, interval, watch
        self.samples: list[Sample] = []
        self.stop = threading.Event()

    def run(self) -> None:
        last_disk = -DISK_EVERY
        while not self.stop.is_set():
            now = time.monotonic()
            sample = Sample(now, tree_rss(self.pid), cpu=busy_cpu_seconds())
            if self.watch is not None and now - last_disk >= DISK_EVERY:
                sample.disk, last_disk = disk_bytes(self.watch), now
            self.samples.append(sample)
            self.stop.wait(self.interval)


def run_step(name: str, args: list[str], work: Path, interval: float,
             watch: Path | None = None) -> StepRun:
    """Run one step in its own process, sampled; on failure show its stderr and stop."""
    events_path, result_path = work / f"{name}.events.jsonl", work / f"{name}.result.json"
    stderr_path = work / f"{name}.stderr.txt"
    for p in (events_path, result_path):
        p.unlink(missing_ok=True)
    started = time.monotonic()
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--step", name,
                                 str(events_path), str(result_path), *args],
                                stdout=subprocess.DEVNULL, stderr=err)
        sampler = Sampler(proc.pid, interval, watch)
        sampler.start()
        code = proc.wait()
        ended = time.monotonic()
        sampler.stop.set()
        sampler.join()
    if code != 0 or not result_path.exists():
        lines = stderr_path.read_text(encoding="utf-8", errors="replace").splitlines()
        shown = "\n".join(lines[-STDERR_TAIL:])
        how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        hint = " (SIGKILL: out of memory?)" if code == -9 else ""
        raise SystemExit(f"step '{name}' failed ({how}{hint}); its stderr"
                         f"{f' (last {STDERR_TAIL} lines)' if len(lines) > STDERR_TAIL else ''}, "
                         f"also in {stderr_path}:\n{shown}")
    events = [json.loads(line) for line in events_path.read_text(encoding="utf-8").splitlines()]
    run = StepRun(name, started, ended, sampler.samples, events,
                  json.loads(result_path.read_text(encoding="utf-8")))
    run.segments = attribute(run)
    return run


def attribute(run: StepRun) -> dict[str, dict[str, float]]:
    """Seconds, peak RSS and peak disk of each phase of a step, in announcement order.

    Time before the first announcement is ``startup`` (interpreter and imports), time after
    ``close`` is ``finish``. A sample belongs to the phase running when it was taken; a phase
    shorter than the interval gets the first sample after it began (the same for disk, sampled
    about once a second). The process's own peak
    (VmHWM) is exact: when it rose during a phase, that phase's peak is at least the new value.
    """
    bounds: list[tuple[str, float, int]] = [("startup", run.started, 0)]
    for e in run.events:
        if e["event"] == "start":
            bounds.append((e["phase"], e["t"], e["hwm_kb"]))
        elif e["event"] == "close":
            bounds.append(("finish", e["t"], e["hwm_kb"]))
    final_hwm = int(run.result.get("ru_maxrss_self_mb", 0) * 1024)
    out: dict[str, dict[str, float]] = {}
    for i, (phase, start, hwm_start) in enumerate(bounds):
        end, hwm_end = (bounds[i + 1][1], bounds[i + 1][2]) if i + 1 < len(bounds) \
            else (run.ended, final_hwm)
        inside = [s for s in run.samples if start <= s.t < end]
        if not inside:
            inside = [s for s in run.samples if s.t >= start][:1] or run.samples[-1:]
        rss = max((s.rss for s in inside), default=0) / MB
        if hwm_end > hwm_start and phase != "startup":
            rss = max(rss, hwm_end / 1024)
        disks = [s.disk for s in run.samples if s.disk is not None and start <= s.t < end] \
            or [s.disk for s in run.samples if s.disk is not None and s.t >= start][:1]
        disk = max(disks, default=0) / MB
        seen = out.setdefault(phase, {"seconds": 0.0, "peak_rss_mb": 0.0, "peak_disk_mb": 0.0,
                                      "cpu_seconds": 0.0})
        seen["seconds"] += end - start
        if len(inside) > 1:      # the busy CPU between the phase's first and last samples
            seen["cpu_seconds"] += (inside[-1].cpu - inside[0].cpu) * (end - start) \
                / max(inside[-1].t - inside[0].t, 1e-9)
        seen["peak_rss_mb"] = max(seen["peak_rss_mb"], rss)
        seen["peak_disk_mb"] = max(seen["peak_disk_mb"], disk)
    return out


# ------------------------------------------------------------------------ the report

def machine() -> dict[str, Any]:
    import pyoxigraph

    total = 0
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            total = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemTotal:"))
    except (OSError, StopIteration):
        pass
    return {"cpu_count": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)),
            "memory_total_mb": round(total / MB), "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "pyoxigraph": pyoxigraph.__version__,
            "platform": platform.platform()}


def figures(args: argparse.Namespace, gen: StepRun, build: StepRun, dump: StepRun,
            bulk: StepRun, release_disk: int) -> dict[str, Any]:
    r = build.result
    build_seconds = build.call_seconds()
    bulk_seconds = bulk.call_seconds()
    phases = {name: {"seconds": round(seg["seconds"], 3),
                     "share": round(seg["seconds"] / build_seconds, 4),
                     "peak_rss_mb": round(seg["peak_rss_mb"], 1),
                     "peak_disk_mb": round(seg["peak_disk_mb"], 1),
                     "cores_busy": round(seg["cpu_seconds"] / max(seg["seconds"], 1e-9), 2),
                     "timer_seconds": round(r["timer_phases"].get(name, 0.0), 3)}
              for name, seg in build.segments.items() if name not in ("startup", "finish")}
    outside = {name: {"seconds": round(seg["seconds"], 3), "peak_rss_mb": round(seg["peak_rss_mb"], 1)}
               for name, seg in build.segments.items() if name in ("startup", "finish")}
    return {
        "schools": args.schools, "seed": args.seed, "validator": args.validator, "profile": args.profile,
        "triples": r["triples"], "rows": r["rows_read"], "rows_rejected": r["rows_rejected"],
        "rows_by_table": r["rows_by_table"],
        "phases": phases,
        "outside_phases": outside,
        "build": {"seconds": round(build_seconds, 3),
                  "process_seconds": round(build.ended - build.started, 3),
                  "peak_rss_mb": round(build.peak_rss_mb, 1),
                  "sampled_peak_rss_mb": round(build.sampled_peak_mb, 1),
                  "ru_maxrss_self_mb": round(r["ru_maxrss_self_mb"], 1),
                  "ru_maxrss_children_mb": round(r["ru_maxrss_children_mb"], 1),
                  "peak_disk_mb": round(build.peak_disk_mb, 1),
                  "release_disk_mb": round(release_disk / MB, 1),
                  "triples_per_second": round(r["triples"] / build_seconds),
                  "cores_busy": build.cores_busy},
        "baseline": {"seconds": round(bulk_seconds, 3),
                     "peak_rss_mb": round(bulk.peak_rss_mb, 1),
                     "sampled_peak_rss_mb": round(bulk.sampled_peak_mb, 1),
                     "peak_disk_mb": round(bulk.peak_disk_mb, 1),
                     "triples": bulk.result["triples"],
                     "triples_per_second": round(bulk.result["triples"] / bulk_seconds),
                     "cores_busy": bulk.cores_busy,
                     "dump_seconds": round(dump.call_seconds(), 3),
                     "dump_peak_rss_mb": round(dump.peak_rss_mb, 1)},
        "generate": {"seconds": round(gen.call_seconds(), 3), "peak_rss_mb": round(gen.peak_rss_mb, 1)},
        "ratio": round(build_seconds / bulk_seconds, 3),
        "capacity_estimate": capacity_estimate(r["rows_by_table"]),
        "sample_interval_seconds": args.interval,
        "machine": machine(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def capacity_estimate(rows_by_table: dict[str, int]) -> dict[str, Any]:
    """What ``loaders/capacity.py`` would have predicted for these rows, to hold against what was
    measured: an estimate below a measurement, or far above it, means its constants need
    measuring again."""
    from emis_lod.loaders import capacity

    needs = capacity.estimate(rows_by_table)
    return {"memory_mb": round(needs.memory_bytes / MB, 1), "disk_mb": round(needs.disk_bytes / MB, 1),
            "triples": needs.triples}


def show(f: dict[str, Any]) -> None:
    m, b, base = f["machine"], f["build"], f["baseline"]
    print(f"schools: {f['schools']} (seed {f['seed']}); source rows: {f['rows']}, rejected: "
          f"{f['rows_rejected']}; triples: {f['triples']}; validator: {f['validator']}")
    print(f"machine: {m['cpu_count']} CPUs ({m['cpus_usable']} usable), {m['memory_total_mb']} MB "
          f"memory, load average {m['load_average'][0]} at the start; Python {m['python']}, "
          f"pyoxigraph {m['pyoxigraph']}; {f['date']}")
    head = f"{'step / phase':<30}{'seconds':>9}{'share':>8}{'peak RSS MB':>13}{'peak disk MB':>14}" \
           f"{'timer s':>9}{'cores':>7}"
    print(head)
    print("-" * len(head))
    print(f"{'generate':<30}{f['generate']['seconds']:>9.2f}{'':>8}{f['generate']['peak_rss_mb']:>13.0f}")
    print(f"{'build (all phases)':<30}{b['seconds']:>9.2f}{'100%':>8}{b['peak_rss_mb']:>13.0f}"
          f"{b['peak_disk_mb']:>14.0f}{'':>9}{b.get('cores_busy', ''):>7}")
    for name, p in f["phases"].items():
        print(f"{'  ' + name:<30}{p['seconds']:>9.2f}{p['share']:>8.1%}{p['peak_rss_mb']:>13.0f}"
              f"{p['peak_disk_mb']:>14.0f}{p['timer_seconds']:>9.2f}"
              f"{p['cores_busy'] if 'cores_busy' in p else '':>7}")
    for name, p in f["outside_phases"].items():
        label = "  (before: imports, mappings)" if name == "startup" else "  (after close: publish)"
        print(f"{label:<30}{p['seconds']:>9.2f}{'':>8}{p['peak_rss_mb']:>13.0f}")
    print(f"{'baseline: dump N-Quads':<30}{base['dump_seconds']:>9.2f}{'':>8}"
          f"{base['dump_peak_rss_mb']:>13.0f}")
    print(f"{'baseline: oxigraph bulk_load':<30}{base['seconds']:>9.2f}{'':>8}{base['peak_rss_mb']:>13.0f}"
          f"{base['peak_disk_mb']:>14.0f}{'':>9}{base.get('cores_busy', ''):>7}")
    print(f"ratio build / bulk_load: {f['ratio']:.2f}x (1.0 would be building at the bulk loader's "
          f"speed); triples/s: build {b['triples_per_second']:,}, bulk_load {base['triples_per_second']:,}")
    print(f"peak build memory: {b['peak_rss_mb']:.0f} MB (sampled over the process tree every "
          f"{f['sample_interval_seconds']} s: {b['sampled_peak_rss_mb']:.0f} MB; ru_maxrss: build "
          f"process {b['ru_maxrss_self_mb']:.0f} MB, its children {b['ru_maxrss_children_mb']:.0f} MB); "
          f"target < 3000 MB")
    print(f"release on disk: {b['release_disk_mb']:.0f} MB ({b['release_disk_mb'] * MB / f['triples']:.0f} "
          f"bytes per triple); peak disk of the store during the build: {b['peak_disk_mb']:.0f} MB")
    est = f["capacity_estimate"]
    verdict = [f"{what} estimate BELOW the measurement: loaders/capacity.py needs new constants"
               for what, e, m in (("memory", est["memory_mb"], b["peak_rss_mb"]),
                                  ("disk", est["disk_mb"], b["peak_disk_mb"])) if e < m]
    verdict += [f"{what} estimate more than 1.5x the measurement (stale after a leaner build?)"
                for what, e, m in (("memory", est["memory_mb"], b["peak_rss_mb"]),
                                   ("disk", est["disk_mb"], b["peak_disk_mb"])) if m and e > 1.5 * m + 100]
    print(f"capacity estimate (loaders/capacity.py) for these rows: {est['memory_mb']:.0f} MB of memory, "
          f"{est['disk_mb']:.0f} MB of disk, {est['triples']:,} triples"
          f"{'; ' + '; '.join(verdict) if verdict else ' (at or above what was measured)'}")
    print("(seconds and peaks per phase as the build announced them through its Progress; 'timer s' "
          "is the build's own BuildReport.phases, which counts some steps under another phase; 'cores' "
          "is the machine's busy CPU over the phase, of its " f"{m['cpu_count']})")


def compare(f: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """Growth of each phase from the smaller run to the larger; the phases that grew more than
    linearly (more than the ratio of schools x GROWTH_SLACK). Returns the flagged names."""
    small, large = sorted((f, other), key=lambda x: x["schools"])
    if small["schools"] == large["schools"]:
        print(f"--compare: both runs have {small['schools']} schools; nothing to compare")
        return []
    scale = large["schools"] / small["schools"]
    limit = scale * GROWTH_SLACK
    print(f"\ngrowth from {small['schools']:,} to {large['schools']:,} schools (x{scale:.3g}; a phase "
          f"flagged grew more than x{limit:.3g} in time or memory):")
    head = f"{'phase':<22}{'seconds':>19}{'x time':>9}{'peak RSS MB':>19}{'x memory':>10}  flag"
    print(head)
    print("-" * len(head))
    flagged: list[str] = []
    rows = [(n, small["phases"][n], large["phases"][n]) for n in large["phases"] if n in small["phases"]]
    rows += [("build", small["build"], large["build"]), ("baseline", small["baseline"], large["baseline"])]
    for name, a, b in rows:
        tg = b["seconds"] / a["seconds"] if a["seconds"] else float("inf")
        mg = b["peak_rss_mb"] / a["peak_rss_mb"] if a["peak_rss_mb"] else float("inf")
        flags = []
        if tg > limit:
            flags.append("time more than linear" + (" (too short to judge)" if a["seconds"] < TOO_SHORT
                                                    else ""))
        if mg > limit:
            flags.append("memory more than linear")
        elif mg >= scale:
            flags.append("memory linear, not sub-linear")
        if flags and not (len(flags) == 1 and "too short" in flags[0]):
            flagged.append(name)
        print(f"{name:<22}{a['seconds']:>9.2f} → {b['seconds']:>7.2f}{tg:>9.2f}"
              f"{a['peak_rss_mb']:>9.0f} → {b['peak_rss_mb']:>7.0f}{mg:>10.2f}  {'; '.join(flags)}")
    print(f"phases that grew more than linearly: {', '.join(flagged) if flagged else 'none'}")
    return flagged


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        _step(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[5:])
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--schools", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--validator", choices=["sparql", "pyshacl"], default="sparql")
    parser.add_argument("--profile", default="kg",
                        help="the country profile whose generator writes the export and whose "
                             "build it is (a bundled name or a directory; default kg)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the files here instead of a temporary directory")
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this file")
    parser.add_argument("--compare", type=Path, default=None,
                        help="a --json file of a run at another size: print each phase's growth")
    parser.add_argument("--interval", type=float, default=0.1,
                        help="seconds between two memory samples (default 0.1)")
    parser.add_argument("--show", type=Path, default=None,
                        help="print the figures of a --json file instead of running (with --compare: "
                             "the growth between the two)")
    args = parser.parse_args()
    other = json.loads(args.compare.read_text(encoding="utf-8")) if args.compare else None
    if args.show:
        saved = json.loads(args.show.read_text(encoding="utf-8"))
        show(saved)
        if other is not None:
            compare(saved, other)
        return

    with tempfile.TemporaryDirectory(prefix="emis-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        source, store, dump = work / "source", work / "store", work / "release.nq"
        baseline = work / "baseline-store"
        # a kept workdir starts clean: the build and the baseline both write into empty stores
        for old in (source, store, baseline):
            shutil.rmtree(old, ignore_errors=True)
        dump.unlink(missing_ok=True)
        wall = time.monotonic()
        print(f"generating {args.schools} schools, building, dumping and bulk-loading in {work} ...",
              flush=True)
        gen = run_step("generate", [str(source), str(args.schools), str(args.seed), args.profile],
                       work, args.interval)
        build = run_step("build", [str(source), str(store), args.validator, args.profile], work,
                         args.interval, watch=store)
        release = Path(build.result["release"])
        release_disk = disk_bytes(release)
        dumped = run_step("dump", [str(release / "oxigraph"), str(dump)], work, args.interval)
        bulk = run_step("bulk_load", [str(dump), str(baseline)], work, args.interval, watch=baseline)
        result = figures(args, gen, build, dumped, bulk, release_disk)
        result["bench_seconds"] = round(time.monotonic() - wall, 1)
        show(result)
        print(f"wall time of the benchmark: {result['bench_seconds']:.0f} s")
        if other is not None:
            result["compare"] = {"with": str(args.compare), "schools": other["schools"],
                                 "flagged": compare(result, other)}
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
            print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()

"""The ``emis-lod`` command. Its subcommands and options are a contract: extend, never rename."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from . import __version__
from .settings import BY_NAME, Settings, SettingsError, fit_worker_timeout, load_settings

if TYPE_CHECKING:
    from .profiles import Profile

DEMO_DIR = Path("var/demo")


def setting_option(name: str) -> Callable[[Any], Any]:
    """The command-line option of a setting: flag, type and help from the table in
    emis_lod/settings.py; its value is checked there, as the environment's is."""
    s = BY_NAME[name]
    default = f"; default {s.default}" if s.default != "" else ""
    return click.option(s.option, name, type=s.type, default=None,
                        metavar="|".join(s.choices) if s.choices else None,
                        help=f"{s.help} [{s.allowed()}; env {s.env}{default}]")


def checked_profile(settings: Settings) -> Profile:
    """The profile the settings name, checked (a wrong one stops the command with the bundled
    profiles, exit status 2)."""
    from .profiles import ProfileError, load_profile

    try:
        return load_profile(settings.profile)
    except ProfileError as err:
        raise click.UsageError(str(err)) from None


def with_profile_base(settings: Settings, profile: Profile, base_uri: str | None) -> Settings:
    """The profile's base URI when neither the option nor the environment gives one."""
    if base_uri is None and BY_NAME["base_uri"].env not in os.environ and profile.base_uri:
        return settings.with_overrides(base_uri=profile.base_uri)
    return settings


def checked_settings(**options: Any) -> Settings:
    """The settings of a command: options over environment over defaults, each value checked
    (a wrong one stops the command with what is allowed, exit status 2)."""
    try:
        return load_settings(**options)
    except SettingsError as err:
        raise click.UsageError(str(err)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="emis-lod")
def main() -> None:
    """Publish EMIS tables as linked open data."""


@main.command()
@click.option("--schools", type=click.IntRange(min=1), default=300, show_default=True,
              help="Number of schools in the demo set.")
@click.option("--seed", type=int, default=2026, show_default=True,
              help="Random seed; the same seed gives the same bytes.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory to write the EMIS export tables into.")
@click.option("--crosswalks", is_flag=True, default=False,
              help="Also write a small crosswalks.csv (a few schools' synthetic codes in the "
                   "statistics register, Wikidata and OpenStreetMap).")
@setting_option("profile")
def generate(schools: int, seed: int, out: Path, crosswalks: bool, profile: str | None) -> None:
    """Write a realistic, deliberately messy demo EMIS export, as the profile's country's
    ministry would give it."""
    chosen = checked_profile(checked_settings(profile=profile))
    for path in chosen.generate(out, schools, seed, crosswalks):
        click.echo(f"wrote {path}")


@main.command()
@click.option("--source", type=click.Path(exists=True, file_okay=False, path_type=Path),
              required=True, help="Directory holding the EMIS export tables.")
@click.option("--store", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Store directory; the build adds a release and publishes it.")
@setting_option("base_uri")
@setting_option("profile")
@setting_option("validator")
@setting_option("staff_publication")
@click.option("--strict", is_flag=True, help="Fail (exit 1) when any row is rejected.")
@click.option("--publish/--no-publish", "publish", default=True, show_default=True,
              help="Serve the new release at once, or only write it (publish it later with "
                   "`emis-lod publish`).")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress bars, warnings or summary; only errors (on stderr) and the exit code.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON summary on stdout (accounting per table, phases, where the "
                   "reports are; {\"ok\": false, \"error\": ...} when the build fails), no bars.")
def build(source: Path, store: Path, base_uri: str | None, profile: str | None,
          validator: str | None, staff_publication: str | None, strict: bool, publish: bool,
          quiet: bool, as_json: bool) -> None:
    """Map, validate and load the tables of SOURCE into a new release of STORE.

    Exit codes: 0 built; 1 built, but --strict and rows were rejected; 2 not built (a bad
    file or column; nothing was published).
    """
    from .loaders.build import BuildError
    from .loaders.build import build as run
    from .loaders.progress import SILENT
    from .progress_bars import Bars

    settings = checked_settings(base_uri=base_uri, validator=validator, profile=profile,
                                staff_publication=staff_publication)
    chosen = checked_profile(settings)
    settings = with_profile_base(settings, chosen, base_uri)
    # warnings go to stderr when stdout carries JSON; --quiet drops them
    echo = (lambda *_: None) if quiet else (lambda m: click.echo(m, err=as_json))
    progress = SILENT if quiet or as_json else Bars()
    try:
        report = run(source, store, settings, echo=echo, publish=publish, progress=progress,
                     profile=chosen)
    except BuildError as err:
        click.echo(f"error: {err}", err=True)
        click.echo("the previously published release (if any) is unchanged", err=True)
        if as_json:
            click.echo(json.dumps({"ok": False, "error": str(err)}, ensure_ascii=False))
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    elif not quiet:
        click.echo(report.summary())
        if not publish:
            click.echo(f"not published; to serve it: emis-lod publish --store {store} "
                       f"{report.release}")
    if strict and report.rejected:
        sys.exit(1)


STORE_OPTION = click.option(
    "--store", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
    help="Store directory written by `emis-lod build`.")


def _release_error(err: Exception) -> NoReturn:
    click.echo(f"error: {err}", err=True)
    sys.exit(2)


def _describe_switch(store: Path, verb: str, release_id: str, before: str | None) -> None:
    from .loaders import releases

    if before == release_id:
        click.echo(f"release {release_id} is already served from {store}")
        return
    click.echo(f"{verb} release {release_id} in {store} (was {before or 'nothing'}); running "
               "servers switch on their next request")
    previous = releases.previous_release(store)
    if previous:
        click.echo(f"`emis-lod rollback --store {store}` returns to {previous}")


@main.command("releases")
@STORE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--prune", "keep", type=click.IntRange(min=1), default=None, metavar="KEEP",
              help="Delete all but the KEEP newest releases (never the served one nor the "
                   "rollback target).")
def releases_command(store: Path, as_json: bool, keep: int | None) -> None:
    """List the releases of STORE: accounting, which one is served, where rollback goes."""
    import json

    from .loaders import releases

    deleted = releases.prune(store, keep) if keep is not None else []
    listed = releases.describe(store)
    incomplete = releases.incomplete_releases(store)
    if as_json:
        click.echo(json.dumps({
            "store": str(store), "current": releases.current_id(store),
            "previous": releases.previous_release(store),
            "releases": [r.as_json() for r in listed], "incomplete": incomplete,
            "pruned": deleted}, ensure_ascii=False, indent=2))
        return
    for rid in deleted:
        click.echo(f"deleted release {rid}")
    if not listed:
        click.echo(f"no release in {store}: run `emis-lod build --source DIR --store {store}`")
    else:
        click.echo(f"  {'release':<24} {'built at':<26} {'triples':>10} {'read':>8} "
                   f"{'loaded':>8} {'rejected':>9}")
    for r in listed:
        mark = "*" if r.current else "<" if r.previous else " "
        note = "  (served)" if r.current else "  (rollback target)" if r.previous else ""
        click.echo(f"{mark} {r.id:<24} {r.built_at:<26} {r.triples:>10} {r.rows_read:>8} "
                   f"{r.rows_loaded:>8} {r.rows_rejected:>9}{note}")
    for name in incomplete:
        click.echo(f"  {name}  (incomplete: a build under way or killed; ignored, the next "
                   "build removes it)")


@main.command()
@STORE_OPTION
@click.argument("release_id", required=False)
def publish(store: Path, release_id: str | None) -> None:
    """Serve RELEASE_ID of STORE (default: the newest complete release), atomically."""
    from .loaders import releases

    before = releases.current_id(store)
    try:
        published = releases.publish(store, release_id)
    except releases.ReleaseError as err:
        _release_error(err)
    _describe_switch(store, "published", published, before)


@main.command()
@STORE_OPTION
@click.argument("release_id", required=False)
@click.option("--to", "url", required=True, metavar="URL",
              help="SPARQL 1.1 Graph Store Protocol endpoint, e.g. "
                   "http://localhost:8890/sparql-graph-crud (Virtuoso). Credentials come from "
                   "EMIS_LOD_PUSH_USER and EMIS_LOD_PUSH_PASSWORD [EMIS_LOD_PUSH_AUTH basic|digest].")
def push(store: Path, release_id: str | None, url: str) -> None:
    """Write every named graph of RELEASE_ID of STORE (default: the served release) into
    another triple store, one HTTP PUT per graph, the provenance graph last."""
    from .loaders import push as pushing

    try:
        pushing.check_url(url)
        pushing.credentials(os.environ)
        release = pushing.release_dir(store, release_id)
    except pushing.PushError as err:
        _release_error(err)
    click.echo(f"pushing release {release.name} of {store} to {url}")
    try:
        done = pushing.push(release, url, echo=click.echo)
    except pushing.PushError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(f"pushed {len(done)} graphs, {sum(p.triples for p in done)} triples, in "
               f"{sum(p.seconds for p in done):.1f} s")


@main.command()
@STORE_OPTION
def rollback(store: Path) -> None:
    """Serve again the release of STORE that was served before the last publish."""
    from .loaders import releases

    before = releases.current_id(store)
    try:
        restored = releases.rollback(store)
    except releases.ReleaseError as err:
        _release_error(err)
    _describe_switch(store, "rolled back to", restored, before)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


@main.command("export")
@STORE_OPTION
@click.argument("release_id", required=False)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The archive to write (RELEASE.tar.gz); written as OUT.partial and renamed "
                   "when complete.")
def export_command(store: Path, release_id: str | None, out: Path) -> None:
    """Write RELEASE_ID of STORE (default: the served one) as one archive for another machine."""
    from .loaders import release_archive, releases

    try:
        done = release_archive.export_release(store, out, release_id)
    except releases.ReleaseError as err:
        _release_error(err)
    click.echo(f"exported release {done.release} ({done.triples} triples, {done.files} files, "
               f"{_megabytes(done.size)}) to {out} ({_megabytes(out.stat().st_size)})")
    click.echo(f"on the other machine: emis-lod import --store STORE {out.name}")


@main.command("import")
@click.option("--store", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Store directory to add the release to (created if missing).")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(store: Path, archive: Path) -> None:
    """Verify ARCHIVE (written by `emis-lod export`) and add its release to STORE, unpublished."""
    from .loaders import release_archive, releases

    try:
        done = release_archive.import_release(store, archive)
    except releases.ReleaseError as err:
        _release_error(err)
    click.echo(f"imported release {done.release} ({done.triples} triples, {done.files} files "
               f"checked, {_megabytes(done.size)}) into {store}; not served yet")
    if done.software_version and done.software_version != __version__:
        click.echo(f"note: built by emis-lod {done.software_version}, this is {__version__}")
    click.echo(f"to serve it: emis-lod publish --store {store} {done.release}")


SERVE_SETTINGS = ("host", "port", "workers", "timeout", "query_timeout", "query_workers", "front")


def _serve_options(f):  # type: ignore[no-untyped-def]
    for name in reversed(SERVE_SETTINGS):
        f = setting_option(name)(f)
    return f


@main.command()
@STORE_OPTION
@_serve_options
def serve(store: Path, host: str | None, port: int | None, workers: int | None,
          timeout: int | None, query_timeout: float | None, query_workers: int | None,
          front: str | None) -> None:
    """Serve the current release: SPARQL endpoint, /id/ and /doc/ URIs."""
    from .endpoint.server import serve as run

    run(store, _server_settings(host=host, port=port, workers=workers, timeout=timeout,
                                query_timeout=query_timeout, query_workers=query_workers,
                                front=front))


@main.command()
@STORE_OPTION
@click.option("--replicas", type=click.IntRange(min=1), default=2, show_default=True,
              help="Replicas of the release (each an `emis-lod serve` with --workers workers).")
@_serve_options
@click.option("--runtime-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where nginx's configuration, temporary files, cache and cluster.json go "
                   "[a new temporary directory, removed on exit].")
@click.option("--print-config", is_flag=True,
              help="Print the nginx configuration (replicas on the ports after --port) and exit, "
                   "for an nginx run as a system service.")
def cluster(store: Path, replicas: int, host: str | None, port: int | None, workers: int | None,
            timeout: int | None, query_timeout: float | None, query_workers: int | None,
            front: str | None, runtime_dir: Path | None, print_config: bool) -> None:
    """Serve the current release from REPLICAS read-only replicas behind Debian's nginx, which
    balances them, retries on another when one fails, and caches documents per release."""
    from .endpoint.front import Replica, nginx_config
    from .endpoint.server import run_cluster

    if front not in (None, "nginx"):
        raise click.UsageError("a cluster is always behind nginx: leave out --front")
    settings = _server_settings(host=host, port=port, workers=workers, timeout=timeout,
                                query_timeout=query_timeout, query_workers=query_workers)
    if print_config:
        runtime = (runtime_dir or Path("/var/cache/emis-lod")).absolute()
        click.echo(nginx_config(settings, store=store, runtime=runtime,
                                replicas=[Replica(settings.port + 1 + i) for i in range(replicas)]),
                   nl=False)
        return
    run_cluster(store, settings, replicas, runtime=runtime_dir)


def _server_settings(**options: Any) -> Settings:
    """The settings of a server: options over environment over defaults, the worker timeout
    above the query timeout (raised to fit unless given, refused when given too low)."""
    settings = checked_settings(**options)
    given = options.get("timeout") is not None or "EMIS_LOD_TIMEOUT" in os.environ
    try:
        return fit_worker_timeout(settings, timeout_given=given)
    except SettingsError as err:
        raise click.UsageError(str(err)) from None


@main.command()
@STORE_OPTION
@click.option("--follow", is_flag=True,
              help="Keep running: render each release published later too (what serve starts).")
@click.option("--processes", type=click.IntRange(min=1), default=os.cpu_count() or 1,
              show_default="the machine's cores", help="Processes that render.")
def render(store: Path, follow: bool, processes: int) -> None:
    """Render the heaviest documents of the current release into it, once (documents.sqlite):
    schools, districts, regions and cubes in every format and language."""
    from .endpoint import prerender
    from .loaders.releases import NoRelease

    settings = checked_settings()
    if follow:
        prerender.follow(store, settings, echo=click.echo)
        return
    try:
        path = prerender.render_release(store, settings, progress=prerender.print_progress,
                                        processes=processes)
    except NoRelease as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"rendered: {path}" if path else "the current release's documents are already rendered")


@main.command()
@click.option("--schools", type=click.IntRange(min=1), default=300, show_default=True)
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=DEMO_DIR, show_default=True,
              help="Where the demo source and store go (a profile other than kg: DIR/PROFILE).")
@setting_option("profile")
@_serve_options
def demo(schools: int, seed: int, directory: Path, profile: str | None, host: str | None,
         port: int | None, workers: int | None, timeout: int | None, query_timeout: float | None,
         query_workers: int | None, front: str | None) -> None:
    """Generate the demo data of a profile (kg by default), build it and serve it on
    http://127.0.0.1:8000/."""
    from .endpoint.server import serve as run_server
    from .loaders.build import build as run_build
    from .progress_bars import Bars

    settings = _server_settings(host=host, port=port, workers=workers, timeout=timeout,
                                query_timeout=query_timeout, query_workers=query_workers,
                                front=front, profile=profile)
    chosen = checked_profile(settings)
    if chosen.name != "kg" and directory == DEMO_DIR:
        directory = DEMO_DIR / chosen.name    # each profile's demo its own store
    if settings.front == "nginx" and front is None and "EMIS_LOD_FRONT" not in os.environ:
        from .endpoint.front import FrontError, find_nginx

        try:
            find_nginx()
        except FrontError as err:   # a demo on a machine without nginx: say so, serve anyway
            click.echo(f"warning: {err}; the demo is served by gunicorn alone (front = none)",
                       err=True)
            settings = settings.with_overrides(front="none")
    public = f"http://{settings.host}:{settings.port}/"
    settings = settings.with_overrides(base_uri=public)
    source, store = directory / "source", directory / "store"
    chosen.generate(source, schools, seed, crosswalks=True)
    click.echo(f"generated {schools} schools (seed {seed}, profile {chosen.name}) in {source}")
    report = run_build(source, store, settings, echo=click.echo, progress=Bars(), profile=chosen)
    click.echo(report.summary())
    click.echo(report.try_urls(public))
    run_server(store, settings)


if __name__ == "__main__":
    main()

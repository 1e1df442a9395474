"""Shipping a release to another machine: ``emis-lod export`` writes one archive with a checksum
manifest, ``emis-lod import`` verifies it and adds the release unpublished; a damaged, truncated,
edited or foreign archive is refused and nothing is added. On a real build (the session's
``built`` store, read only here)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from emis_lod.cli import main
from emis_lod.endpoint import create_app
from emis_lod.loaders import release_archive, releases
from emis_lod.loaders.build import BuildReport
from emis_lod.settings import load_settings


def cli(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def listing(store: Path) -> list[str]:
    """What ``releases/`` holds, hidden staging directories included."""
    root = store / releases.RELEASES
    return sorted(os.listdir(root)) if root.is_dir() else []


def members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive, "r:*") as tar:
        return [(m, tar.extractfile(m).read()) for m in tar]  # type: ignore[union-attr]


def rewrite(archive: Path, out: Path,
            change: Callable[[tarfile.TarInfo, bytes], tuple[tarfile.TarInfo, bytes] | None]) -> Path:
    """A copy of ``archive`` with each member passed through ``change`` (None drops it)."""
    with tarfile.open(out, "w:gz", compresslevel=1) as tar:
        for info, data in members(archive):
            changed = change(info, data)
            if changed is not None:
                info, data = changed
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out


def small_archive(out: Path, files: dict[str, bytes], listed: dict[str, bytes] | None = None,
                  release: str = "20990101T000000000000Z",
                  extra: Sequence[tarfile.TarInfo] = ()) -> Path:
    """A hand-made archive: ``files`` as members, ``listed`` (default: the same) in its manifest."""
    listed = files if listed is None else listed
    manifest = json.dumps({
        "format": release_archive.FORMAT, "format_version": 1, "release": release,
        "software_version": "0", "triples": 0,
        "files": [{"path": p.split("/", 1)[1], "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                  for p, d in listed.items()]}).encode()
    with tarfile.open(out, "w:gz") as tar:
        for info in extra:
            tar.addfile(info)
        for name, data in [*files.items(), (release_archive.ARCHIVE_MANIFEST, manifest)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


@pytest.fixture(scope="module")
def archive(built: BuildReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shipped") / "release.tar.gz"
    shipped = release_archive.export_release(built.store, out)
    assert shipped.release == built.release and shipped.triples == built.triples
    assert not out.with_name(out.name + ".partial").exists()
    return out


def test_an_imported_release_is_served_like_the_original(built: BuildReport, archive: Path,
                                                          tmp_path: Path) -> None:
    replica = tmp_path / "replica" / "store"          # a fresh machine: no store yet
    code, out = cli("import", "--store", replica, archive)
    assert code == 0, out
    assert f"emis-lod publish --store {replica} {built.release}" in out
    assert releases.list_releases(replica) == [built.release]
    assert releases.current_id(replica) is None       # added, not published
    assert cli("publish", "--store", replica)[0] == 0

    client = create_app(replica, load_settings(base_uri=built.base_uri)).test_client()
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json == {"release": built.release, "triples": built.triples, "ok": True}
    school = built.examples["schools"].removeprefix(built.base_uri.rstrip("/")).replace("/id/", "/doc/")
    original = create_app(built.store, load_settings(base_uri=built.base_uri)).test_client()
    answer = client.get(school, headers={"Accept": "application/n-triples"})
    assert answer.status_code == 200 and answer.data
    assert answer.data == original.get(school, headers={"Accept": "application/n-triples"}).data
    assert releases.read_manifest(releases.current_release(replica)) == \
        releases.read_manifest(built.release_dir)


def test_the_archive_lists_every_file_with_its_size_and_checksum(built: BuildReport,
                                                                 archive: Path) -> None:
    found = members(archive)
    names = [m.name for m, _ in found]
    assert names[-1] == release_archive.ARCHIVE_MANIFEST and names[0] == f"{built.release}/manifest.json"
    manifest = json.loads(found[-1][1])
    release = releases.read_manifest(built.release_dir)
    assert manifest["release"] == built.release
    assert manifest["triples"] == release["triples"] == built.triples
    assert manifest["software_version"] == release["software_version"]
    on_disk = sorted(p.relative_to(built.release_dir).as_posix()
                     for p in built.release_dir.rglob("*") if p.is_file())
    assert sorted(e["path"] for e in manifest["files"]) == on_disk
    assert any(p.startswith("oxigraph/") for p in on_disk) and "dumps/SHA256SUMS" in on_disk
    by_path = {e["path"]: e for e in manifest["files"]}
    for info, data in found[:-1]:
        entry = by_path[info.name.removeprefix(f"{built.release}/")]
        assert entry["size"] == len(data) == info.size and info.isfile()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert data == (built.release_dir / entry["path"]).read_bytes()


@pytest.mark.parametrize("keep", [0.01, 0.5, -20, -3])
def test_a_truncated_archive_is_refused_and_nothing_added(archive: Path, tmp_path: Path,
                                                          keep: float) -> None:
    data = archive.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[:int(len(data) * keep)] if keep > 0 else data[:int(keep)])
    store = tmp_path / "store"
    code, out = cli("import", "--store", store, cut)
    assert code == 2
    assert "truncated" in out and "nothing imported" in out and "export the release again" in out
    assert listing(store) == []


def test_a_flipped_byte_in_a_member_is_refused(built: BuildReport, archive: Path,
                                               tmp_path: Path) -> None:
    target = f"{built.release}/oxigraph/CURRENT"

    def flip(info: tarfile.TarInfo, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
        if info.name == target:
            data = bytes([data[0] ^ 0x01]) + data[1:]
        return info, data

    damaged = rewrite(archive, tmp_path / "damaged.tar.gz", flip)
    store = tmp_path / "store"
    code, out = cli("import", "--store", store, damaged)
    assert code == 2 and f"member {target} is damaged (SHA-256" in out
    assert listing(store) == []

    # the same in the compressed bytes: the deflate stream, its CRC or a member's checksum
    # breaks (zlib-ng's own error too), whichever, it is refused
    data = archive.read_bytes()
    for at in (len(data) // 7, len(data) // 3, len(data) // 2, len(data) * 4 // 5, len(data) - 6):
        raw = bytearray(data)
        raw[at] ^= 0x10
        (tmp_path / "raw.tar.gz").write_bytes(bytes(raw))
        with pytest.raises(release_archive.ArchiveError, match="damaged.*nothing imported"):
            release_archive.import_release(store, tmp_path / "raw.tar.gz")
        assert listing(store) == []


def test_a_member_missing_or_not_in_the_manifest_is_refused(built: BuildReport, archive: Path,
                                                            tmp_path: Path) -> None:
    dropped = rewrite(archive, tmp_path / "dropped.tar.gz",
                      lambda i, d: None if i.name.endswith("/validation.ttl") else (i, d))
    with pytest.raises(release_archive.ArchiveError, match="validation.ttl is listed but missing"):
        release_archive.import_release(tmp_path / "store", dropped)

    def add(info: tarfile.TarInfo, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
        if info.name.endswith("/rejections.csv"):
            info.name = f"{built.release}/extra.csv"
        return info, data

    added = rewrite(archive, tmp_path / "added.tar.gz", add)
    with pytest.raises(release_archive.ArchiveError, match="extra.csv is not in its"):
        release_archive.import_release(tmp_path / "store", added)
    assert listing(tmp_path / "store") == []


def test_a_store_that_does_not_hold_its_manifests_triple_count_is_refused(
        built: BuildReport, archive: Path, tmp_path: Path) -> None:
    """Checksums that agree with edited files (the manifest says one triple more) still do not
    pass: the received database is opened read-only and counted."""
    said = f"{built.release}/manifest.json"
    manifest = json.loads(dict((i.name, d) for i, d in members(archive))[said])
    manifest["triples"] += 1
    edited = json.dumps(manifest).encode()

    def edit(info: tarfile.TarInfo, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
        if info.name == said:
            data = edited
        elif info.name == release_archive.ARCHIVE_MANIFEST:
            listed = json.loads(data)
            listed["triples"] += 1
            for entry in listed["files"]:
                if entry["path"] == releases.MANIFEST:
                    entry.update(size=len(edited), sha256=hashlib.sha256(edited).hexdigest())
            data = json.dumps(listed).encode()
        return info, data

    store = tmp_path / "store"
    with pytest.raises(release_archive.ArchiveError,
                       match=f"holds {built.triples} triples, its manifest says {built.triples + 1}"):
        release_archive.import_release(store, rewrite(archive, tmp_path / "edited.tar.gz", edit))
    assert listing(store) == []


def _link(name: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, "/etc/passwd"
    return info


@pytest.mark.parametrize("name, extra, says", [
    ("20990101T000000000000Z/../../evil", [], "`..`"),
    ("../evil", [], "`..`"),
    ("/tmp/evil", [], "has an absolute path"),
    (None, [_link("20990101T000000000000Z/link", tarfile.SYMTYPE)], "a symbolic link"),
    (None, [_link("20990101T000000000000Z/hard", tarfile.LNKTYPE)], "a hard link"),
    (None, [_link("20990101T000000000000Z/dev", tarfile.CHRTYPE)], "a device"),
])
def test_members_outside_the_release_or_not_plain_files_are_refused(
        tmp_path: Path, name: str | None, extra: list[tarfile.TarInfo], says: str) -> None:
    files = {"20990101T000000000000Z/manifest.json": b"{}"}
    if name:
        files[name] = b"owned"
    crafted = small_archive(tmp_path / "crafted.tar.gz", files, extra=extra)
    store = tmp_path / "store"
    code, out = cli("import", "--store", store, crafted)
    assert code == 2 and says in out and "refusing it" in out
    assert listing(store) == [] and not (tmp_path / "evil").exists()


def test_an_invalid_release_id_or_a_foreign_file_is_refused(tmp_path: Path) -> None:
    crafted = small_archive(tmp_path / "crafted.tar.gz", {".hidden/manifest.json": b"{}"},
                            release=".hidden")
    with pytest.raises(release_archive.ArchiveError, match="is not a release id"):
        release_archive.import_release(tmp_path / "store", crafted)
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not an archive\n" * 100)
    with pytest.raises(release_archive.ArchiveError, match="not an archive written by"):
        release_archive.import_release(tmp_path / "store", foreign)
    assert listing(tmp_path / "store") == []


def test_a_release_already_in_the_store_is_refused(built: BuildReport, archive: Path,
                                                   tmp_path: Path) -> None:
    store = tmp_path / "store"
    release_archive.import_release(store, archive)
    before = listing(store)
    code, out = cli("import", "--store", store, archive)
    assert code == 2 and f"release {built.release} is already in {store}" in out
    assert f"emis-lod publish --store {store} {built.release}" in out
    assert listing(store) == before == [built.release]
    # into the store it came from, too
    with pytest.raises(release_archive.ArchiveError, match="already in"):
        release_archive.import_release(built.store, archive)


def test_exporting_an_unknown_release_lists_the_known_ones(built: BuildReport,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "x.tar.gz"
    with pytest.raises(releases.ReleaseError, match="does not exist") as err:
        release_archive.export_release(built.store, out, "20000101T000000000000Z")
    assert built.release in str(err.value)
    code, said = cli("export", "--store", built.store, "nope", "--out", out)
    assert code == 2 and "'nope' does not exist" in said and built.release in said
    assert not out.exists() and not out.with_name(out.name + ".partial").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    code, said = cli("export", "--store", empty, "--out", out)
    assert code == 2 and "no release" in said


def test_export_by_the_command_names_the_release_and_the_import_command(
        built: BuildReport, tmp_path: Path) -> None:
    out = tmp_path / "shipped.tar.gz"
    code, said = cli("export", "--store", built.store, built.release, "--out", out)
    assert code == 0, said
    assert f"exported release {built.release} ({built.triples} triples" in said
    assert "emis-lod import --store STORE shipped.tar.gz" in said
    assert os.listdir(tmp_path) == ["shipped.tar.gz"]     # no .partial left
    manifest = json.loads(members(out)[-1][1])
    assert manifest["release"] == built.release and manifest["triples"] == built.triples

"""Issue 11's data-side faults, each reproduced: stale data versions (1), a truncated UCR download
recorded as good (2), UCR inputs that ended in tracebacks or split classes (10), and unzipping /
file modes (11)."""
from __future__ import annotations

import io as bytes_io
import json
import os
import stat
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
import torch

import workbench.io as wio
from tests.test_download import TS_TEMPLATE, FakeServer
from workbench.data import DataError, get_dataset
from workbench.data.adatime import load_pt
from workbench.data.download import _entry, fetch, file_hash, read_manifest, record, unpack_zip
from workbench.data.ucr import load_ucr
from workbench.results import ResultsStore
from workbench.train import RunConfig, fit


@pytest.fixture(autouse=True)
def digest_cache(tmp_path, monkeypatch):
    """A private on-disk digest cache and an empty in-process one, for every test here."""
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(wio, "_DIGESTS", {})
    return tmp_path / "cache" / "file_digests.json"


# -- fault 1: the data version is a digest of the content the run reads ------------------------

def make_subject(root, dataset: str, subject: str, shape: tuple[int, ...], n: int = 24, seed: int = 0) -> None:
    """AdaTime's ``train_<s>.pt`` / ``test_<s>.pt`` of one subject, six balanced classes."""
    rng = np.random.default_rng(seed)
    for split in ("train", "test"):
        path = root / "uda" / dataset / f"{split}_{subject}.pt"
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"samples": rng.normal(size=(n, *shape)).astype(np.float32),
                    "labels": (np.arange(n) % 6).astype(np.float64)}, path)


def _shuffle_labels_same_size(path) -> None:
    data = load_pt(path)
    size = path.stat().st_size
    labels = np.asarray(data["labels"])
    torch.save({"samples": data["samples"], "labels": labels[np.random.default_rng(1).permutation(len(labels))]},
               path)
    assert path.stat().st_size == size  # the fault: same name, same size, other content


def test_fault1_same_size_file_replacement_retrains(tmp_path):
    make_subject(tmp_path, "HAR", "1", (9, 128), seed=0)
    make_subject(tmp_path, "HAR", "2", (9, 128), seed=1)
    store = ResultsStore(tmp_path / "r.sqlite")
    config = RunConfig("ERM", "HAR", "1", "2", steps=5, eval_every=5)
    first = fit(config, root=tmp_path, store=store, progress=False)
    assert fit(config, root=tmp_path, store=store, progress=False).from_store

    _shuffle_labels_same_size(tmp_path / "uda" / "HAR" / "test_2.pt")
    again = fit(config, root=tmp_path, store=store, progress=False)
    assert again.from_store is False and again.run_id != first.run_id
    assert again.data_version != first.data_version and again.data_version.startswith("HAR-")


def test_fault1_other_subjects_files_do_not_change_the_run_id(tmp_path):
    make_subject(tmp_path, "HAR", "1", (9, 128), seed=0)
    make_subject(tmp_path, "HAR", "2", (9, 128), seed=1)
    store = ResultsStore(tmp_path / "r.sqlite")
    config = RunConfig("ERM", "HAR", "1", "2", steps=5, eval_every=5)
    first = fit(config, root=tmp_path, store=store, progress=False)
    make_subject(tmp_path, "HAR", "3", (9, 128), seed=2)  # a subject this run does not read
    again = fit(config, root=tmp_path, store=store, progress=False)
    assert again.from_store and again.run_id == first.run_id


@pytest.mark.parametrize("dataset, shape", [("HAR", (9, 128)), ("WISDM", (128, 3)), ("EEG", (1, 3000))])
def test_fault1_adatime_pt_version_is_a_content_digest(tmp_path, dataset, shape):
    make_subject(tmp_path, dataset, "0", shape, n=10)
    before = get_dataset(dataset).data_version(tmp_path, domains=["0"])
    _shuffle_labels_same_size(tmp_path / "uda" / dataset / "train_0.pt")
    assert get_dataset(dataset).data_version(tmp_path, domains=["0"]) != before


def test_fault1_cluda_npy_version_is_a_content_digest(tmp_path):
    folder = tmp_path / "uda" / "HHAR" / "subject_0"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split in ("train", "val", "test"):
        np.save(folder / f"timeseries_{split}.npy", rng.normal(size=(6, 128, 3)).astype(np.float32))
        np.save(folder / f"label_{split}.npy", np.arange(6) % 6)
    dataset = get_dataset("HHAR")
    before = dataset.data_version(tmp_path, domains=["0"])
    np.save(folder / "label_test.npy", (np.arange(6) + 1) % 6)  # same size, other labels
    assert dataset.data_version(tmp_path, domains=["0"]) != before
    assert dataset.data_version(tmp_path) != dataset.data_version(tmp_path, domains=["1"])


def test_fault1_digest_is_cached_by_metadata_and_invalidated_by_a_change(tmp_path, monkeypatch, digest_cache):
    monkeypatch.setattr(wio, "RACY_SECONDS", 0.0)  # cache even a file written a moment ago
    reads = []
    real_hash = wio.file_hash
    monkeypatch.setattr(wio, "file_hash", lambda path, algorithm="sha256": reads.append(path) or real_hash(path, algorithm))
    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * 3000)
    first = wio.file_digest(path)
    assert wio.file_digest(path) == first and len(reads) == 1          # in-process cache
    monkeypatch.setattr(wio, "_DIGESTS", {})
    assert wio.file_digest(path) == first and len(reads) == 1          # on-disk cache
    assert str(path.resolve()) in json.loads(digest_cache.read_text())

    digest_cache.write_text("{not json")                               # a corrupt cache is ignored
    monkeypatch.setattr(wio, "_DIGESTS", {})
    assert wio.file_digest(path) == first and len(reads) == 2
    assert json.loads(digest_cache.read_text())                        # ... and rewritten

    stamp = path.stat().st_mtime_ns
    time.sleep(0.05)  # an edit comes a timestamp tick later (RACY_SECONDS covers a quicker one)
    path.write_bytes(b"y" * 3000)                                      # same size, new content
    os.utime(path, ns=(stamp, stamp))                                  # even with the old mtime kept
    assert wio.file_digest(path) != first and len(reads) == 3


def test_fault1_a_file_rewritten_at_once_is_not_served_from_the_cache(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * 3000)
    first = wio.file_digest(path)
    path.write_bytes(b"y" * 3000)  # may share the first write's timestamp tick
    assert wio.file_digest(path) != first


def test_fault1_unwritable_cache_is_not_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("WORKBENCH_CACHE", str(blocker / "cache"))
    path = tmp_path / "a.bin"
    path.write_bytes(b"x")
    assert wio.file_digest(path) == wio.file_digest(path)


# -- fault 2: a truncated UCR zip is refused before it is recorded ------------------------------

def _gunpoint_zip() -> bytes:
    buffer = bytes_io.BytesIO()
    rows = "\n".join(f"{i}.0,1.0,2.0,3.0:{1 if i % 2 else -1}" for i in range(40))
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("GunPoint_TRAIN.ts", TS_TEMPLATE.format(rows=rows))
        zipped.writestr("GunPoint_TEST.ts", TS_TEMPLATE.format(rows=rows))
    return buffer.getvalue()


class CutOnceServer(FakeServer):
    """Sends the UCR zip without a Content-Length; the first answer breaks off half way."""

    def __init__(self, body: bytes):
        super().__init__()
        self.body, self.zip_requests = body, 0

    def answer(self, handler) -> None:
        if handler.path != "/aeon-toolkit/GunPoint.zip":
            return super().answer(handler)
        self.zip_requests += 1
        body = self.body if self.zip_requests > 1 else self.body[: len(self.body) // 2]
        handler.send_response(200)
        handler.send_header("Content-Type", "application/zip")
        handler.end_headers()
        handler.wfile.write(body)
        handler.close_connection = True


@pytest.fixture
def cut_server():
    fake = CutOnceServer(_gunpoint_zip())
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()


def test_fault2_truncated_ucr_zip_is_refused_and_fetched_again(cut_server, tmp_path):
    with pytest.raises(DataError, match=r"ucr_GunPoint\.zip.*not a complete zip.*run the fetch again"):
        fetch("ucr:GunPoint", tmp_path, server=cut_server.url, progress=False)
    assert read_manifest(tmp_path)["files"] == {}
    assert not any((tmp_path / ".downloads").glob("*"))  # the bad zip was deleted
    outputs = fetch("ucr:GunPoint", tmp_path, server=cut_server.url, progress=False)
    assert cut_server.zip_requests == 2 and [p.name for p in outputs] == ["GunPoint_TRAIN.tsv", "GunPoint_TEST.tsv"]
    assert load_ucr("GunPoint", tmp_path)[0].x.shape == (40, 1, 4)


def test_fault2_recorded_archive_that_is_no_zip_is_fetched_again(cut_server, tmp_path):
    archive = tmp_path / ".downloads" / "ucr_GunPoint.zip"        # what the old code left behind
    archive.parent.mkdir(parents=True)
    archive.write_bytes(cut_server.body[:100])
    record(tmp_path, _entry(tmp_path, archive, file_hash(archive), "old", source="ucr:GunPoint"))
    cut_server.zip_requests = 1                                     # the next answer is whole
    fetch("ucr:GunPoint", tmp_path, server=cut_server.url, progress=False)
    assert archive.read_bytes() == cut_server.body
    assert read_manifest(tmp_path)["files"][".downloads/ucr_GunPoint.zip"]["size"] == len(cut_server.body)


# -- fault 10: UCR inputs give messages, and labels keep their identity -------------------------

def _write_ucr(root, name: str, train: str, test: str | bytes | None):
    folder = root / "ucr" / name
    folder.mkdir(parents=True)
    (folder / f"{name}_TRAIN.tsv").write_text(train)
    if isinstance(test, bytes):
        (folder / f"{name}_TEST.tsv").write_bytes(test)
    elif test is not None:
        (folder / f"{name}_TEST.tsv").write_text(test)
    return folder


def test_fault10_text_in_numeric_column_names_file_line_and_column(tmp_path):
    _write_ucr(tmp_path, "Toy", "1\t1.0\t2.0\n\n2\t3.0\toops\n", "1\t1.0\t2.0\n")
    with pytest.raises(DataError, match=r"Toy_TRAIN\.tsv, line 3, column 3: 'oops' is not a number"):
        load_ucr("Toy", tmp_path)


def test_fault10_binary_test_file_names_file_and_fix(tmp_path):
    _write_ucr(tmp_path, "Toy", "1\t1.0\t2.0\n", b"PK\x03\x04\x00\x00\xff\xfe binary")
    with pytest.raises(DataError, match=r"Toy_TEST\.tsv is not a text file.*re-download"):
        load_ucr("Toy", tmp_path)


def test_fault10_missing_test_file_names_file_and_fix(tmp_path):
    _write_ucr(tmp_path, "Toy", "1\t1.0\t2.0\n", None)
    with pytest.raises(DataError, match=r"Toy_TEST\.tsv is missing.*workbench data fetch ucr:Toy"):
        load_ucr("Toy", tmp_path)


def test_fault10_label_1_and_1_point_0_are_one_class(tmp_path):
    _write_ucr(tmp_path, "Toy", "1\t1.0\t2.0\n2\t3.0\t1.0\n", "1.0\t1.0\t2.0\n2.00\t3.0\t1.0\n")
    train, test = load_ucr("Toy", tmp_path)
    assert train.num_classes == 2 and train.y.tolist() == [0, 1] and test.y.tolist() == [0, 1]
    assert train.meta["label_map"] == {"1": 0, "1.0": 0, "2": 1, "2.00": 1}


def test_fault10_huge_labels_keep_their_identity(tmp_path):
    train = "1e20\t1\t2\n1e38\t1\t2\n100000000000000000001\t1\t2\n1\t1\t2\n"
    _write_ucr(tmp_path, "Big", train, "100000000000000000000\t1\t2\n1E+38\t1\t2\n")
    train, test = load_ucr("Big", tmp_path)
    label_map = train.meta["label_map"]
    # 1 < 1e20 < 1e20 + 1 < 1e38; 1e20 written out is 1e20; 1e20 + 1 is not (as a float it would be)
    assert train.y.tolist() == [1, 3, 2, 0] and test.y.tolist() == [1, 3] and train.num_classes == 4
    assert label_map["1e20"] == label_map["100000000000000000000"] == 1 and label_map["1e38"] == 3


# -- fault 11: streamed unzipping, no silent overwrites, ordinary file modes --------------------

def test_fault11_unpack_zip_streams_each_member(tmp_path):
    archive = tmp_path / "big.zip"
    size = 50 << 20
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped, zipped.open("data/big.bin", "w") as out:
        block = bytes(1 << 20)
        for _ in range(size >> 20):
            out.write(block)
    tracemalloc.start()
    try:
        paths = unpack_zip(archive, tmp_path / "out")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [p.name for p in paths] == ["big.bin"] and paths[0].stat().st_size == size
    paths[0].unlink()  # 50 MB need not outlive the test
    assert peak < size // 8, f"unpacking a {size >> 20} MB member peaked at {peak >> 20} MB"


def test_fault11_same_base_name_in_two_folders_is_refused(tmp_path):
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a/train_1.pt", b"first")
        zipped.writestr("b/train_1.pt", b"second")
    with pytest.raises(DataError, match=r"a/train_1\.pt.*b/train_1\.pt"):
        unpack_zip(archive, tmp_path / "out")
    assert not any((tmp_path / "out").glob("*"))


def test_fault11_atomic_files_get_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        written = wio.atomic_write_text(tmp_path / "manifest.json", "{}")
        assert stat.S_IMODE(written.stat().st_mode) == 0o644
        os.umask(0o077)
        assert stat.S_IMODE(wio.atomic_write_text(tmp_path / "other.json", "{}").stat().st_mode) == 0o600
        assert os.umask(0o077) == 0o077                      # the umask is left as it was
        os.chmod(written, 0o640)                              # an existing file keeps its mode, as open() does
        assert stat.S_IMODE(wio.atomic_write_text(written, "[]").stat().st_mode) == 0o640
    finally:
        os.umask(old)

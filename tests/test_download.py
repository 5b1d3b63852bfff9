"""`workbench data fetch` against a local HTTP server that answers like a Dataverse (and UCR's site)."""
from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import torch

from workbench.cli import main
from workbench.data import DataError, get_dataset
from workbench.data.download import MANIFEST_NAME, DATAVERSE_DOIS, fetch, read_manifest, verify


def pt_bytes(n: int, shape: tuple[int, ...], seed: int) -> bytes:
    buffer = io.BytesIO()
    rng = np.random.default_rng(seed)
    torch.save({"samples": rng.normal(size=(n, *shape)).astype(np.float32),
                "labels": (np.arange(n) % 6).astype(np.float64)}, buffer)
    return buffer.getvalue()


class FakeServer:
    """Dataverse-shaped answers: the dataset's file list by DOI, and files by id (with Range)."""

    def __init__(self):
        self.files: dict[int, tuple[str, bytes, str | None]] = {}   # id -> (name, bytes, md5)
        self.datasets: dict[str, list[int]] = {}
        self.other: dict[str, bytes] = {}                           # path -> bytes
        self.log: list[tuple[str, str | None]] = []                 # (path, Range header)
        self.cut_next: set[int] = set()                             # ids whose next answer breaks off
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.log.append((self.path, self.headers.get("Range")))
                outer.answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add_dataset(self, doi: str, files: dict[str, bytes], bad_md5: set[str] = frozenset()) -> None:
        ids = []
        for name, data in files.items():
            file_id = 100 + len(self.files)
            md5 = "0" * 32 if name in bad_md5 else hashlib.md5(data).hexdigest()
            self.files[file_id] = (name, data, md5)
            ids.append(file_id)
        self.datasets[doi] = ids

    def listing(self, doi: str) -> dict:
        files = [{"label": self.files[i][0], "restricted": False,
                  "dataFile": {"id": i, "filename": self.files[i][0], "filesize": len(self.files[i][1]),
                               "md5": self.files[i][2], "checksum": {"type": "MD5", "value": self.files[i][2]}}}
                 for i in self.datasets[doi]]
        return {"status": "OK", "data": {"id": 1, "persistentId": doi, "latestVersion": {"files": files}}}

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        if path.startswith("/api/datasets/:persistentId/"):
            doi = path.split("persistentId=", 1)[1]
            return self.send(handler, 200, json.dumps(self.listing(doi)).encode(), "application/json")
        if path.startswith("/api/access/datafile/"):
            file_id = int(path.rsplit("/", 1)[1])
            return self.send_file(handler, file_id, self.files[file_id][1])
        if path in self.other:
            return self.send(handler, 200, self.other[path], "application/zip")
        return self.send(handler, 404, b"not found", "text/plain")

    def send_file(self, handler, file_id: int, data: bytes) -> None:
        start = 0
        if handler.headers.get("Range"):
            start = int(handler.headers["Range"].split("=")[1].split("-")[0])
        body = data[start:]
        handler.send_response(206 if start else 200)
        handler.send_header("Content-Length", str(len(body)))
        if start:
            handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        handler.end_headers()
        if file_id in self.cut_next:               # break off half way, as a dropped connection
            self.cut_next.discard(file_id)
            handler.wfile.write(body[: len(body) // 2])
            handler.close_connection = True
            return
        handler.wfile.write(body)

    @staticmethod
    def send(handler, code: int, body: bytes, kind: str) -> None:
        handler.send_response(code)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def downloads(self) -> list[tuple[str, str | None]]:
        return [entry for entry in self.log if entry[0].startswith("/api/access/")]


@pytest.fixture
def server():
    fake = FakeServer()
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()


def har_files() -> dict[str, bytes]:
    return {f"{split}_{s}.pt": pt_bytes(30, (9, 128), seed=i)
            for i, (split, s) in enumerate((sp, s) for s in ("1", "2") for sp in ("train", "test"))}


def test_fetch_har_records_sha256_and_loads(server, tmp_path, capsys):
    files = har_files()
    server.add_dataset(DATAVERSE_DOIS["HAR"], files)
    assert main(["data", "fetch", "HAR", "--root", str(tmp_path), "--server", server.url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["files"]) == 4
    manifest = read_manifest(tmp_path)["files"]
    for name, data in files.items():
        entry = manifest[f"uda/HAR/{name}"]
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["size"] == len(data)
        assert (tmp_path / "uda" / "HAR" / name).read_bytes() == data
    assert not list(tmp_path.rglob("*.part")) and verify(tmp_path) == []
    assert get_dataset("HAR").domains(tmp_path) == ["1", "2"]
    assert get_dataset("HAR").splits("1", tmp_path, "cluda").train.x.shape == (30, 9, 128)

    # A second fetch finds every file recorded and downloads nothing.
    before = len(server.downloads())
    fetch("HAR", tmp_path, server=server.url, progress=False)
    assert len(server.downloads()) == before
    # A damaged file is noticed and downloaded again.
    (tmp_path / "uda" / "HAR" / "test_2.pt").write_bytes(b"damaged")
    assert verify(tmp_path) == ["uda/HAR/test_2.pt"]
    fetch("HAR", tmp_path, server=server.url, progress=False)
    assert len(server.downloads()) == before + 1 and verify(tmp_path) == []


def test_interrupted_download_resumes_with_range(server, tmp_path):
    files = {"train_1.pt": pt_bytes(400, (128, 3), seed=0), "test_1.pt": pt_bytes(50, (128, 3), seed=1)}
    server.add_dataset(DATAVERSE_DOIS["WISDM"], files)
    first_id = server.datasets[DATAVERSE_DOIS["WISDM"]][0]
    server.cut_next.add(first_id)
    with pytest.raises(DataError, match="interrupted after .* run the fetch again to resume"):
        fetch("WISDM", tmp_path, server=server.url, progress=False)
    part = tmp_path / "uda" / "WISDM" / "train_1.pt.part"
    done = part.stat().st_size
    assert 0 < done < len(files["train_1.pt"]) and not (tmp_path / "uda" / "WISDM" / "train_1.pt").exists()

    fetch("WISDM", tmp_path, server=server.url, progress=False)
    assert server.downloads()[-2] == (f"/api/access/datafile/{first_id}", f"bytes={done}-")
    assert (tmp_path / "uda" / "WISDM" / "train_1.pt").read_bytes() == files["train_1.pt"]
    assert not part.exists() and verify(tmp_path) == []
    assert get_dataset("WISDM").splits("1", tmp_path, "adatime").train.x.shape == (400, 3, 128)


def test_checksum_mismatch_is_an_error_and_leaves_nothing(server, tmp_path):
    server.add_dataset(DATAVERSE_DOIS["EEG"], {"train_0.pt": pt_bytes(4, (1, 3000), 0)}, bad_md5={"train_0.pt"})
    with pytest.raises(DataError, match="MD5 checksum mismatch .* deleted"):
        fetch("EEG", tmp_path, server=server.url, progress=False)
    folder = tmp_path / "uda" / "EEG"
    assert not (folder / "train_0.pt").exists() and not (folder / "train_0.pt.part").exists()
    assert not (tmp_path / MANIFEST_NAME).exists()
    assert main(["data", "fetch", "EEG", "--root", str(tmp_path), "--server", server.url]) == 2


def test_zip_in_dataset_is_unpacked(server, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("HHAR_SA/train_0.pt", pt_bytes(12, (128, 3), 0))
        zipped.writestr("HHAR_SA/test_0.pt", pt_bytes(12, (128, 3), 1))
        zipped.writestr("../evil.txt", b"outside")
    server.add_dataset(DATAVERSE_DOIS["HHAR"], {"HHAR_SA.zip": buffer.getvalue()})
    fetch("HHAR", tmp_path, server=server.url, progress=False)
    assert not (tmp_path / "uda" / "evil.txt").exists()
    assert get_dataset("HHAR").domains(tmp_path) == ["0"]
    assert "uda/HHAR/train_0.pt" in read_manifest(tmp_path)["files"]


def test_unknown_name_and_unreachable_server(tmp_path):
    with pytest.raises(DataError, match="unknown dataset 'FD' to fetch; known: EEG, HAR, HHAR, WISDM"):
        fetch("FD", tmp_path)
    with pytest.raises(DataError, match="cannot connect"):
        fetch("HAR", tmp_path, server="http://127.0.0.1:9", progress=False)


TS_TEMPLATE = """@problemName GunPoint
@timeStamps false
@missing false
@univariate true
@equalLength true
@seriesLength 4
@classLabel true -1 1
@data
{rows}
"""


def test_fetch_ucr_writes_tsv(server, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("GunPoint_TRAIN.ts", TS_TEMPLATE.format(rows="0.5,1.25,-2.0,3.0:-1\n1.0,2.0,3.0,4.0:1"))
        zipped.writestr("GunPoint_TEST.ts", TS_TEMPLATE.format(rows="0.0,0.0,1.5,NaN:1"))
    server.other["/aeon-toolkit/GunPoint.zip"] = buffer.getvalue()
    assert main(["data", "fetch", "ucr:GunPoint", "--root", str(tmp_path), "--server", server.url]) == 0
    train = np.loadtxt(tmp_path / "ucr" / "GunPoint" / "GunPoint_TRAIN.tsv", delimiter="\t")
    np.testing.assert_array_equal(train, [[-1, 0.5, 1.25, -2.0, 3.0], [1, 1, 2, 3, 4]])
    test_line = (tmp_path / "ucr" / "GunPoint" / "GunPoint_TEST.tsv").read_text().strip().split("\t")
    assert test_line[0] == "1" and test_line[-1] == "NaN"
    assert {"ucr/GunPoint/GunPoint_TRAIN.tsv", ".downloads/ucr_GunPoint.zip"} <= set(read_manifest(tmp_path)["files"])
    with pytest.raises(DataError, match="HTTP 404"):
        fetch("ucr:NoSuchSet", tmp_path, server=server.url, progress=False)

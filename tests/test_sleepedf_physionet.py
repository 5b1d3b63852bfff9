"""Sleep-EDF from PhysioNet's files ("EEG-physionet"): EDF+ files written here with edfio."""
from __future__ import annotations

import datetime
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mne")
edfio = pytest.importorskip("edfio")

from workbench.data import DataError, get_dataset  # noqa: E402
from workbench.data.download import fetch, read_manifest, verify  # noqa: E402

START = datetime.datetime(1989, 4, 24, 16, 13)
#: one night's hypnogram: (description, epochs). 80 wake epochs (40 min) at each end, every stage,
#: stages 3 and 4, movement and '?' inside the sleep period, and a '?' tail past the signal's end.
NIGHT = [("Sleep stage W", 80), ("Sleep stage 1", 3), ("Sleep stage 2", 4), ("Movement time", 1),
         ("Sleep stage 3", 2), ("Sleep stage 4", 3), ("Sleep stage ?", 1), ("Sleep stage R", 3),
         ("Sleep stage 2", 2), ("Sleep stage W", 80), ("Sleep stage ?", 10)]
SIGNAL_EPOCHS = 177          # the recording ends 2 epochs into the '?' tail (88.5 min)
# kept per night: 60 W + 3 N1 + 4 N2 + (M dropped) + 5 N3 + (? dropped) + 3 REM + 2 N2 + 60 W = 137
PER_NIGHT = {"W": 120, "N1": 3, "N2": 6, "N3": 5, "REM": 3}


def epoch_code(labels: list[str]) -> np.ndarray:
    """A signal [S] whose every 30-s epoch holds its position and stage: value = 10 * epoch + code
    (W 0, stages 1-4, R 5, ? 6, Movement tim'e' 7)."""
    codes = {"W": 0, "1": 1, "2": 2, "3": 3, "4": 4, "R": 5, "?": 6, "e": 7}
    values = [10 * i + codes[label[-1]] for i, label in enumerate(labels)]
    return np.repeat(np.asarray(values, dtype=float), 3000)


def write_psg(path: Path, labels: list[str], channel="EEG Fpz-Cz", rate=100, start=START) -> None:
    eeg = epoch_code(labels)
    if rate != 100:
        eeg = np.repeat(eeg, rate // 100)
    signals = [edfio.EdfSignal(eeg, sampling_frequency=rate, label=channel, physical_dimension="uV",
                               physical_range=(-3000, 3000)),
               edfio.EdfSignal(np.zeros(len(labels) * 30), sampling_frequency=1, label="Resp oro-nasal",
                               physical_range=(-1, 1))]
    edfio.Edf(signals, recording=edfio.Recording(startdate=start.date()), starttime=start.time(),
              data_record_duration=30).write(path)


def write_hypnogram(path: Path, night=NIGHT, start=START) -> None:
    annotations, onset = [], 0
    for text, epochs in night:
        annotations.append(edfio.EdfAnnotation(onset, epochs * 30, text))
        onset += epochs * 30
    edfio.Edf([], recording=edfio.Recording(startdate=start.date()), starttime=start.time(),
              annotations=annotations).write(path)


def night_labels(night=NIGHT, n=SIGNAL_EPOCHS) -> list[str]:
    return [text for text, epochs in night for _ in range(epochs)][:n]


def write_subject(folder: Path, subject: int, nights=(1, 2)) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for night in nights:
        stem = f"SC4{subject:02d}{night}E"
        write_psg(folder / f"{stem}0-PSG.edf", night_labels())
        write_hypnogram(folder / f"{stem}{'CHJ'[night]}-Hypnogram.edf")


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sleepedf")
    folder = root / "sleep-edfx" / "sleep-cassette"
    write_subject(folder, 0)
    write_subject(folder, 13, nights=(1,))           # subject 13 has one night, as on PhysioNet
    return root


def test_epochs_labels_and_wake_trimming(root):
    dataset = get_dataset("EEG-physionet")
    splits = dataset.splits("0", root, "adatime")
    x = np.concatenate([splits.train.x, splits.test.x])
    y = np.concatenate([splits.train.y, splits.test.y])
    assert x.shape[1:] == (1, 3000) and x.dtype == np.float32 and splits.train.seq_len == 3000
    assert dataset.class_names == get_dataset("EEG").class_names == ["W", "N1", "N2", "N3", "REM"]
    counts = dict(zip(dataset.class_names, np.bincount(y, minlength=5).tolist()))
    assert counts == {k: 2 * v for k, v in PER_NIGHT.items()}      # two nights
    code = x[:, 0, :]
    assert np.allclose(code, code[:, :1], atol=0.2)                 # each epoch is one whole 30-s epoch
    epoch, stage = np.divmod(np.round(code[:, 0]).astype(int), 10)
    assert set(stage) <= {0, 1, 2, 3, 4, 5}                         # no M (code 7 never written), no '?'
    assert np.array_equal(np.array([0, 1, 2, 3, 3, 4])[stage], y)   # 3 and 4 -> N3, R -> REM
    assert epoch.min() == 20 and epoch.max() == 158                 # 30 min (60 epochs) of wake kept each side
    assert 87 not in epoch and 93 not in epoch                      # movement and '?' epochs dropped


def test_one_domain_per_subject_and_splits(root):
    dataset = get_dataset("EEG-physionet")
    assert dataset.domains(root) == ["0", "13"]
    adatime = dataset.splits("13", root, "adatime")
    assert (len(adatime.train), len(adatime.test)) == (95, 42)      # 137 epochs, 70/30 stratified
    assert adatime.val is None and adatime.train.meta["nights"] == 1
    assert np.array_equal(np.bincount(adatime.test.y, minlength=5), [37, 1, 2, 1, 1])  # ~30 % of each stage
    cluda = dataset.splits("13", root, "cluda")
    assert len(cluda.val) + len(cluda.test) == 42 and np.array_equal(cluda.train.x, adatime.train.x)
    info = dataset.info(root)
    assert [row["n_train"] + row["n_test"] for row in info["domains"]] == [274, 137]
    with pytest.raises(DataError, match="subject 5 not found.*subjects present: 0 13"):
        dataset.splits("5", root)


def test_data_version_follows_the_files(tmp_path):
    folder = tmp_path / "sleep-edfx" / "sleep-cassette"
    write_subject(folder, 1, nights=(1,))
    write_subject(folder, 2, nights=(1,))
    dataset = get_dataset("EEG-physionet")
    before, one = dataset.data_version(tmp_path), dataset.data_version(tmp_path, ["1"])
    assert before.startswith("EEG-physionet-") and one != before
    night = NIGHT[:-2] + [("Sleep stage W", 79), ("Sleep stage 1", 1), ("Sleep stage ?", 10)]
    write_hypnogram(folder / "SC4021EH-Hypnogram.edf", night)       # subject 2 re-scored
    assert dataset.data_version(tmp_path) != before
    assert dataset.data_version(tmp_path, ["1"]) == one


def problem_root(tmp_path: Path, **psg) -> Path:
    folder = tmp_path / "sleep-edfx" / "sleep-cassette"
    folder.mkdir(parents=True)
    write_psg(folder / "SC4001E0-PSG.edf", night_labels(), **psg)
    return folder


def test_clear_errors(tmp_path):
    dataset = get_dataset("EEG-physionet")
    with pytest.raises(DataError, match="no Sleep-EDF recordings.*workbench data fetch EEG-physionet"):
        dataset.domains(tmp_path)
    folder = problem_root(tmp_path / "a")
    with pytest.raises(DataError, match="no hypnogram SC4001E\\?-Hypnogram.edf"):
        dataset.splits("0", tmp_path / "a")
    folder = problem_root(tmp_path / "b", channel="EEG Pz-Oz")
    write_hypnogram(folder / "SC4001EC-Hypnogram.edf")
    with pytest.raises(DataError, match="no Fpz-Cz channel.*EEG Pz-Oz"):
        dataset.splits("0", tmp_path / "b")
    folder = problem_root(tmp_path / "c", rate=200)
    write_hypnogram(folder / "SC4001EC-Hypnogram.edf")
    with pytest.raises(DataError, match="sampled at 200 Hz, expected 100 Hz.*does not resample"):
        dataset.splits("0", tmp_path / "c")
    folder = problem_root(tmp_path / "d")
    write_hypnogram(folder / "SC4001EC-Hypnogram.edf", NIGHT[:2])   # 41.5 min of 88.5
    with pytest.raises(DataError, match="does not cover the recording"):
        dataset.splits("0", tmp_path / "d")
    folder = problem_root(tmp_path / "e")
    write_hypnogram(folder / "SC4001EC-Hypnogram.edf", start=START + datetime.timedelta(hours=1))
    with pytest.raises(DataError, match="is not this recording's"):
        dataset.splits("0", tmp_path / "e")


class PhysioNet:
    """A local server shaped like physionet.org/files/sleep-edfx/1.0.0/ with SHA256SUMS.txt."""

    def __init__(self, files: dict[str, bytes], corrupt: set[str] = frozenset()):
        sums = "".join(f"{'0' * 64 if path in corrupt else hashlib.sha256(data).hexdigest()}  {path}\n"
                       for path, data in files.items())
        base = "/files/sleep-edfx/1.0.0/"
        self.paths = {base + "SHA256SUMS.txt": sums.encode(), **{base + p: d for p, d in files.items()}}
        self.log: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.log.append(self.path)
                data = outer.paths.get(self.path)
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def served(tmp_path):
    source = tmp_path / "source"
    write_subject(source, 0, nights=(1,))
    files = {f"sleep-cassette/{p.name}": p.read_bytes() for p in sorted(source.iterdir())}
    files["sleep-cassette/SC4201E0-PSG.edf"] = b"subject 20: not one of AdaTime's 20"
    files["RECORDS"] = b"sleep-cassette/SC4001E0-PSG.edf\n"
    return files


def test_fetch_verifies_sha256_and_loads(tmp_path, served):
    server = PhysioNet(served)
    root = tmp_path / "data"
    paths = fetch("EEG-physionet", root, server=server.url, progress=False)
    assert sorted(p.name for p in paths) == ["SC4001E0-PSG.edf", "SC4001EH-Hypnogram.edf"]
    assert sorted(read_manifest(root)["files"]) == [f"sleep-edfx/sleep-cassette/{p.name}" for p in sorted(paths)]
    assert verify(root) == []
    splits = get_dataset("EEG-physionet").splits("0", root, "adatime")
    assert len(splits.train) + len(splits.test) == 137
    fetched = len(server.log)
    fetch("eeg-physionet", root, server=server.url, progress=False)  # recorded files are not fetched again
    assert len(server.log) == fetched + 1                          # only SHA256SUMS.txt


def test_fetch_refuses_a_corrupt_download(tmp_path, served):
    server = PhysioNet(served, corrupt={"sleep-cassette/SC4001EH-Hypnogram.edf"})
    root = tmp_path / "data"
    with pytest.raises(DataError, match="SHA-256 checksum mismatch.*deleted"):
        fetch("EEG-physionet", root, server=server.url, progress=False)
    folder = root / "sleep-edfx" / "sleep-cassette"
    assert not (folder / "SC4001EH-Hypnogram.edf").exists()
    assert not (folder / "SC4001EH-Hypnogram.edf.part").exists()

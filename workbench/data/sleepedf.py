"""Sleep-EDF ("EEG") in AdaTime's format: ``train_<s>.pt`` / ``test_<s>.pt`` of 30 s epochs.

Sleep-EDF Expanded (Kemp et al., IEEE TBME 2000; Goldberger et al., PhysioNet 2000), the Fpz-Cz
channel at 100 Hz, as preprocessed by AdaTime (Ragab et al., TKDD 2023) for its 20 subjects.
Samples are ``(N, 1, 3000)``; AdaTime's files may also store them as ``(N, 3000)`` or
``(N, 3000, 1)`` and as torch tensors, all of which ``AdaTimeDataset`` normalises to ``[N, 1, T]``.
Five classes: W, N1, N2, N3, REM.
"""
from __future__ import annotations

from workbench.data.adatime import AdaTimeDataset
from workbench.data.datasets import DATASETS


@DATASETS.register("EEG")
class SleepEDF(AdaTimeDataset):
    """Sleep-EDF, Fpz-Cz EEG at 100 Hz, 3000-step epochs, 5 sleep stages (AdaTime's "EEG")."""

    name = "EEG"
    num_classes = 5
    num_channels = 1
    seq_len = 3000
    sampling_rate = 100.0
    channel_names = ["Fpz-Cz"]
    class_names = ["W", "N1", "N2", "N3", "REM"]
    fetch_name = "EEG"

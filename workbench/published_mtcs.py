"""The MTCS paper's published accuracies (Wang et al., AMLTS 2022), for labelled comparison only.

Source: ``mtcs.txt`` Table 1 (15 largest UCR datasets) and Table 2 (10 selected datasets).
Metric: test accuracy of an SVM on frozen representations, train/test as published by UCR;
5 epochs, batch 32, one V100 (§4.2). These are the paper's numbers, never ours.
"""
from __future__ import annotations

__all__ = ["TABLE1", "TABLE2", "FIG2_RELATED_PAIRS", "TABLE1_METHODS", "TABLE2_METHODS", "SOURCE", "published_frame"]

SOURCE = "Wang et al. 2022, Multi-Task Classifier Sharing (AMLTS22), paper's values"
TABLE1_METHODS = ("MTCS", "MTL", "TS2Vec", "T-Loss", "TNC", "TS-TCC", "TST", "DTW")
TABLE2_METHODS = ("MTCS", "MTL", "TS2Vec")

TABLE1 = {
    "Crop": (0.766, 0.765, 0.756, 0.722, 0.738, 0.742, 0.710, 0.665),
    "ElectricDevices": (0.707, 0.702, 0.721, 0.707, 0.700, 0.686, 0.676, 0.602),
    "StarLightCurves": (0.978, 0.969, 0.969, 0.964, 0.968, 0.967, 0.949, 0.907),
    "Wafer": (0.997, 0.996, 0.998, 0.992, 0.994, 0.994, 0.991, 0.980),
    "TwoPatterns": (1.0, 0.999, 1.0, 0.999, 0.993, 0.976, 0.871, 0.905),
    "ECG5000": (0.941, 0.938, 0.935, 0.933, 0.937, 0.941, 0.928, 0.924),
    "FordA": (0.945, 0.944, 0.936, 0.928, 0.894, 0.930, 0.568, 0.555),
    "UWaveGestureLibraryAll": (0.968, 0.968, 0.930, 0.896, 0.903, 0.692, 0.475, 0.892),
    "UWaveGestureLibraryX": (0.828, 0.828, 0.795, 0.785, 0.781, 0.733, 0.569, 0.728),
    "UWaveGestureLibraryY": (0.764, 0.762, 0.719, 0.71, 0.697, 0.641, 0.348, 0.634),
    "UWaveGestureLibraryZ": (0.782, 0.778, 0.770, 0.757, 0.721, 0.692, 0.475, 0.892),
    "FordB": (0.815, 0.812, 0.794, 0.793, 0.733, 0.815, 0.507, 0.620),
    "ChlorineConcentration": (0.827, 0.768, 0.832, 0.750, 0.760, 0.753, 0.562, 0.648),
    "NonInvasiveFetalECGThorax1": (0.961, 0.950, 0.930, 0.878, 0.898, 0.898, 0.471, 0.790),
    "NonInvasiveFetalECGThorax2": (0.951, 0.954, 0.938, 0.919, 0.912, 0.913, 0.832, 0.865),
}
#: The paper's "15 datasets Avg." row.
TABLE1_AVERAGE = (0.882, 0.876, 0.868, 0.849, 0.842, 0.825, 0.662, 0.774)

TABLE2 = {
    "Lightning2": (0.934, 0.918, 0.869),
    "Lightning7": (0.849, 0.849, 0.863),
    "EOGHorizontalSignal": (0.616, 0.588, 0.539),
    "EOGVerticalSignal": (0.530, 0.475, 0.503),
    "Chinatown": (0.977, 0.980, 0.965),
    "MelbournePedestrian": (0.957, 0.944, 0.959),
    "SmallKitchenAppliances": (0.731, 0.741, 0.731),
    "LargeKitchenAppliances": (0.885, 0.885, 0.861),
    "Computers": (0.676, 0.672, 0.660),
    "HouseTwenty": (0.933, 0.916, 0.916),
}
#: The paper's "10 datasets Avg." row.
TABLE2_AVERAGE = (0.809, 0.797, 0.787)
#: §4.4.3 (Fig. 2, which gives no numbers): the task pairs the paper names as related under MTCS.
FIG2_RELATED_PAIRS = (("Lightning2", "Lightning7"), ("EOGHorizontalSignal", "EOGVerticalSignal"),
                      ("SmallKitchenAppliances", "LargeKitchenAppliances"), ("MelbournePedestrian", "HouseTwenty"))
#: §4.4.1: one TS2Vec pre-trained on all 15 datasets jointly, average accuracy.
JOINT_PRETRAIN_AVERAGE_TABLE1 = 0.812


def published_frame(table: int = 2):
    """The paper's table as a DataFrame, columns prefixed ``paper_`` (index: dataset)."""
    import pandas as pd

    rows, methods = (TABLE2, TABLE2_METHODS) if table == 2 else (TABLE1, TABLE1_METHODS)
    return pd.DataFrame.from_dict(rows, orient="index", columns=[f"paper_{m}" for m in methods])

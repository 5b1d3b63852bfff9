import warnings; warnings.filterwarnings("ignore")
from workbench.data.ucr import load_ucr
from workbench.analysis.similarity import benchmark_backends
names = ["GunPoint", "Lightning7", "SwedishLeaf", "Coffee", "ECG200"]
train = {n: load_ucr(n, "/work/shared/data", znorm=True)[0] for n in names}
print(benchmark_backends(train).to_string())

import time, warnings; warnings.filterwarnings("ignore")
from workbench.data.ucr import load_ucr, ucr_names
from workbench.analysis.similarity import similarity_matrix, neighbours
root = "/work/shared/data"
t = time.time()
names = ucr_names(root)
train = {n: load_ucr(n, root, znorm=True, nan="pad")[0] for n in names}
load_s = time.time() - t
m = similarity_matrix(train, iterations=10, cache="results/mtcs/sim_all.json")
print(f"{len(names)} datasets; load {load_s:.1f}s; prototypes+matrix {m.attrs['seconds']:.1f}s; total {time.time()-t:.1f}s", flush=True)
for n in ["GunPoint", "Lightning2", "EOGHorizontalSignal", "SmallKitchenAppliances"]:
    print(n, neighbours(m, n).head(3).to_dict("records"))

import time, torch, warnings; warnings.filterwarnings("ignore")
torch.set_num_threads(1)
from workbench.data.ucr import load_ucr
from workbench.analysis.similarity import load_matrix
from workbench.pretrain.finetune import transfer_experiment, pick_sources
root = "/work/shared/data"
m = load_matrix("results/mtcs/sim_all.json")
targets = ["Coffee"]
names = set(targets) | {s for t in targets for s in pick_sources(m, t).values()}
data = {n: load_ucr(n, root, znorm=True, nan="pad") for n in names}
print({t: pick_sources(m, t) for t in targets}, flush=True)
t = time.time()
r = transfer_experiment(m, targets, data, source_epochs=20, target_epochs=20, seed=0, threads=1)
r.to_csv("results/mtcs/transfer.csv", index=False)
print(r.to_string(), "\ntotal", time.time() - t)

import sys, time, torch
torch.set_num_threads(1)
from workbench.mtcs_experiments import *
seed, epochs, iters = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
methods = sys.argv[4].split(",")
data, missing = load_datasets(TABLE2_DATASETS, "/work/shared/data")
print("missing", missing, flush=True)
for method in methods:
    t = time.time()
    res = compare_methods(data, methods=(method,), epochs=epochs, ts2vec_iters=iters, seeds=(seed,))
    res.to_csv(f"results/mtcs/table2_{method}_seed{seed}.csv", index=False)
    print(method, "wall", round(time.time() - t), flush=True)
    print(res[["dataset", "test_acc"]].to_string(), flush=True)

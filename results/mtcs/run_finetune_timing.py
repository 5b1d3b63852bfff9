import time, torch, warnings; warnings.filterwarnings("ignore")
torch.set_num_threads(1)
from workbench.data.ucr import load_ucr
from workbench.pretrain.finetune import pretrain, fine_tune, accuracy
root = "/work/shared/data"
src, _ = load_ucr("GunPoint", root, znorm=True)
tr, te = load_ucr("Coffee", root, znorm=True)
t = time.time(); model = pretrain(src, 10); print("pretrain GunPoint 10 epochs", round(time.time() - t, 1), "s", flush=True)
t = time.time(); tuned = fine_tune(model, tr, 30); ft = time.time() - t
t = time.time(); scratch = fine_tune(None, tr, 30); sc = time.time() - t
print(f"fine-tune GunPoint->Coffee 30 epochs: {ft:.1f}s acc {accuracy(tuned, te):.3f}; scratch 30 epochs {sc:.1f}s acc {accuracy(scratch, te):.3f}")

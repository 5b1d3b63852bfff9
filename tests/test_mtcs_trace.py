"""The MTCS sharing reader: known relevant pairs on synthetic heads, and it changes nothing."""
import torch
from torch import nn

from workbench.pretrain.multitask import MTCS, Sharing, mtcs_sharing_loss
from workbench.pretrain.mtcs_trace import SharingTracer, head_gradient_norms, sharing_trace


def fixed_heads(biases):
    """Heads whose weights are 0: their probabilities are softmax(bias) whatever the input."""
    heads = nn.ModuleList()
    for b in biases:
        head = nn.Linear(4, len(b))
        nn.init.zeros_(head.weight)
        head.bias.data = torch.tensor(b, dtype=torch.float32)
        heads.append(head)
    return heads


def test_sharing_trace_finds_the_one_confident_pair():
    heads = fixed_heads([[10.0, -10.0], [-10.0, 10.0, -10.0]])   # task 0: label 0; task 1: label 1
    features = torch.randn(5, 4)
    (row,), relevant = sharing_trace(features, heads, task=0, sharing=Sharing(tau=2.0))
    assert (row["task_j"], row["M"], row["N"]) == (1, 3, 2)
    assert row["pairs"] == [(1, 0)]          # task 1's label 1 <-> task 0's label 0
    assert relevant[1].tolist() == [[False, False], [True, False], [False, False]]   # the mask the loss used
    assert row["n_relevant"] == 1 and row["head_j_top_share"] > 0.99
    assert abs(row["affinity_max"] - 6.0) < 1e-3   # M N A_10 / sum A with A ~ e_1 e_0^T
    loss, pairs = mtcs_sharing_loss(features, heads, 0, Sharing(tau=2.0))
    assert pairs == 1 and abs(float(loss.detach()) - row["ws"]) < 1e-7


def test_uniform_heads_tie_nothing_and_gradients_match_the_closed_form():
    heads = fixed_heads([[0.0, 0.0], [0.0, 0.0, 0.0]])
    (row,), _ = sharing_trace(torch.randn(3, 4), heads, task=1)
    assert row["n_relevant"] == 0 and row["pairs"] == [] and row["ws"] == 0.0
    with torch.no_grad():
        heads[0].weight.copy_(torch.ones(2, 4))
    relevant = {0: torch.tensor([[True, False, False], [False, False, False]])}    # [M=2, N=3]
    norms = head_gradient_norms(torch.randn(3, 4), heads, 1, torch.tensor([0, 1, 2]), relevant, 0.5)
    # d/dW_1,0 of 0.5 * ||W_0,0 - W_1,0||^2 / 6 = -(1/6) * (1,1,1,1): norm 2/6
    assert abs(norms["ws_grad_Wk"] - 2 / 6) < 1e-6
    assert abs(norms["ws_grad_heads"] - (2 * (2 / 6) ** 2) ** 0.5) < 1e-6
    assert heads[1].weight.grad is None and heads[0].weight.grad is None


def test_tracer_reads_the_models_own_numbers_and_changes_nothing():
    def build():
        torch.manual_seed(0)
        return MTCS([2, 3], 1, batches_per_epoch=2, depth=1, hidden_dim=4, output_dim=8, alpha=0.1)

    traced, plain = build(), build()
    tracer = SharingTracer(traced)
    gen = torch.Generator().manual_seed(1)
    for step in range(4):
        task = step % 2
        x = torch.randn(6, 1, 16, generator=gen)
        y = torch.randint(0, 2 + task, (6,), generator=gen)
        torch.manual_seed(100 + step)
        tracer.expect(task, y)
        traced.update(task, x, y)
        row = tracer.after()
        torch.manual_seed(100 + step)
        plain.update(task, x, y)
        assert row["pairs"] == row["traced_pairs"]
        assert abs(row["ws"] - row["traced_ws"]) < 1e-5 * max(1.0, row["ws"])
    tracer.close()
    for a, b in zip(traced.parameters(), plain.parameters()):
        assert torch.equal(a, b)
    assert len(tracer.step_rows) == 4 and len(tracer.pair_rows) == 4


def test_diagnosis_traces_a_later_epoch_after_untraced_ones_in_the_models_own_batch_order(monkeypatch):
    from tests.conftest import REPO, load_script
    from tests.test_mtcs_plan import toy_data
    from workbench.pretrain.ts2vec import batches_per_epoch
    monkeypatch.syspath_prepend(str(REPO / "results" / "mtcs"))
    script = load_script("results/mtcs/run_diagnosis.py")
    data = toy_data()
    per_epoch = batches_per_epoch([len(tr) for tr, _ in data.values()], 32)
    first, _, _ = script.train_traced(data, 0, 3 * per_epoch, {})
    third, _, _ = script.train_traced(data, 0, None, {}, epoch=3)
    assert [r["step"] for r in third.step_rows] == list(range(2 * per_epoch, 3 * per_epoch))
    later = [r for r in first.step_rows if r["step"] >= 2 * per_epoch]     # the same updates, traced throughout
    for a, b in zip(later, third.step_rows):
        assert a["task_k"] == b["task_k"] and abs(a["cls"] - b["cls"]) < 1e-6

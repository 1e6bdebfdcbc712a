# bench_trainer_torch.py: PyTorch beside continuo-train on the same batches. Trains the
# report's Model 1 as continuo builds it (one-hot V -> causal Conv1D 256 k3 + ReLU -> LSTM256
# -> LSTM256 -> Dropout .3 -> Linear V, loss on every step), with Adam lr 1e-3 and global-norm
# clipping 1.0, on the exact batches continuo-train wrote with --dump-batches (int32 tokens
# then targets, [B][T] each, target -1 = ignored). Prints input tokens a second over all
# batches but the first (warm-up), the same measure continuo-train reports, on the wall clock and
# per CPU second of the process (which the load of other programs disturbs less).
# usage: bench_trainer_torch.py BATCHES.bin V B T THREADS
import sys, time
import torch, torch.nn as nn, torch.nn.functional as F

path, V, B, T, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(0)
raw = torch.frombuffer(bytearray(open(path, "rb").read()), dtype=torch.int32)
per = 2 * B * T
n = raw.numel() // per
data = raw[: n * per].view(n, 2, B, T).long()

class Model1(nn.Module):
    def __init__(s, H=256):
        super().__init__()
        s.conv = nn.Conv1d(V, H, 3)
        s.l1 = nn.LSTM(H, H, batch_first=True)
        s.l2 = nn.LSTM(H, H, batch_first=True)
        s.drop = nn.Dropout(0.3)
        s.fc = nn.Linear(H, V)
    def forward(s, tok):
        x = F.one_hot(tok, V).float().transpose(1, 2)           # [B,V,T]
        x = torch.relu(s.conv(F.pad(x, (2, 0)))).transpose(1, 2)  # causal: left padding k-1
        x, _ = s.l1(x)
        x, _ = s.l2(x)
        return s.fc(s.drop(x))                                   # [B,T,V]

m = Model1().train()
opt = torch.optim.Adam(m.parameters(), 1e-3)
def step(tok, tgt):
    opt.zero_grad()
    loss = F.cross_entropy(m(tok).reshape(-1, V), tgt.reshape(-1), ignore_index=-1)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    return loss.item()
step(data[0, 0], data[0, 1])
tokens, t0, c0 = 0, time.perf_counter(), time.process_time()
for i in range(1, n):
    step(data[i, 0], data[i, 1])
    tokens += int((data[i, 1] >= 0).any(dim=1).sum()) * T
dt, dc = time.perf_counter() - t0, time.process_time() - c0
print(f"torch {torch.__version__}, {threads} threads, {n - 1} batches of {B}x{T}: {tokens / dt:.0f} tokens/s, "
      f"{tokens / dc:.0f} per CPU second", file=sys.stderr)
print(f"{tokens / dt:.1f} {tokens / dc:.1f}")

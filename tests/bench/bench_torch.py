#!/usr/bin/python3
# bench_torch.py: the PyTorch side of `make bench`, on the report's Model 1 as
# ../shared/reference/torch_model1.py sets it up (one-hot V=300 -> Conv1d(256, k3, valid) ->
# LSTM256 -> LSTM256 -> Dropout .3 -> Linear; T=100, batch 64, Adam), one "name: value unit"
# a line:
#   train.torch_seq_per_s            loss on the last step (the report's setup)
#   train.torch_all_steps_seq_per_s  loss on every step
#   train.torch_cpu_seq_per_s        last-step training per CPU second (load-robust)
#   step.torch_us_p50                one stateful step with sampling (conv as 3 column gathers)
# Usage: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tests/bench/bench_torch.py [threads] [train steps]
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("bench_torch: torch is missing (apt-get install python3-torch): no reference figures")
    sys.exit(1)

V, T, B, H = 300, 100, 64, 256


class Model1(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(V, H, 3)
        self.lstm1 = torch.nn.LSTM(H, H, batch_first=True)
        self.lstm2 = torch.nn.LSTM(H, H, batch_first=True)
        self.drop = torch.nn.Dropout(0.3)
        self.fc = torch.nn.Linear(H, V)

    def forward(self, tok, every_step):
        x = F.one_hot(tok, V).float().transpose(1, 2)
        x = torch.relu(self.conv(x)).transpose(1, 2)
        x, _ = self.lstm1(x)
        x, _ = self.lstm2(x)
        x = self.drop(x)
        return self.fc(x if every_step else x[:, -1])


def train_rate(model, every_step, steps):
    model.train()
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    X = torch.randint(0, V, (B, T))
    Y = torch.randint(0, V, (B, T - 2) if every_step else (B,))

    def one():
        opt.zero_grad()
        out = model(X, every_step)
        F.cross_entropy(out.reshape(-1, V), Y.reshape(-1)).backward()
        opt.step()

    for _ in range(2):
        one()
    t, c = time.perf_counter(), time.process_time()
    for _ in range(steps):
        one()
    return B * steps / (time.perf_counter() - t), B * steps / (time.process_time() - c)


@torch.no_grad()
def step_p50(model, n=2000):
    model.eval()
    W, b = model.conv.weight, model.conv.bias
    ring = [0, 0, 0]
    s1 = s2 = None
    tok = 0
    times = []
    for i in range(n + 100):
        t = time.perf_counter()
        ring = ring[1:] + [tok]
        x = torch.relu(b + W[:, ring[0], 0] + W[:, ring[1], 1] + W[:, ring[2], 2])
        y, s1 = model.lstm1(x.view(1, 1, H), s1)
        y, s2 = model.lstm2(y, s2)
        p = torch.softmax(model.fc(y.view(1, H)), -1)
        tok = int(torch.multinomial(p, 1))
        if i >= 100:
            times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2] * 1e6


if __name__ == "__main__":
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Model1()
    wall, cpu = train_rate(model, False, steps)
    print("train.torch_seq_per_s: %.1f seq/s" % wall)
    print("train.torch_all_steps_seq_per_s: %.1f seq/s" % train_rate(model, True, steps)[0])
    print("train.torch_cpu_seq_per_s: %.1f seq/cpu-s" % cpu)
    print("step.torch_us_p50: %.1f us" % step_p50(model))

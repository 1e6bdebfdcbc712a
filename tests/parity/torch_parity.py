#!/usr/bin/python3
# torch_parity.py: builds continuo's small test models in PyTorch with the same weights,
# computes logits, losses and gradients in float64 (the reference), and writes them to
# tests/parity/data/parity_<name>.bin; build/san/test_nn_parity (or build/test_nn_parity) then checks
# the C float32 forward/backward against them, so the C check runs without torch.
# Run: /usr/bin/python3 tests/parity/torch_parity.py [--out DIR] (skips with a message when torch is
# absent). With --out the files go to DIR and the C test reads them from there
# (CN_TEST_DATA), so the saved tests/parity/data stay untouched.
# Tolerances (checked in tests/unit/test_nn_parity.c): logits within 1e-4 absolute; losses within
# 1e-5 relative; every gradient tensor within 1e-3 of its largest element (max-norm) and each
# element within 1e-4 + 1e-3 relative; BatchNorm running stats within 1e-5.
import os
import struct
import subprocess
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("torch_parity: skipped: this python has no torch (apt-get install python3-torch)")
    sys.exit(0)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


class Rec:
    """The parity file: magic, then records (name, kind, shape, data) little-endian."""

    def __init__(self):
        self.out = bytearray(b"CNPARITY")

    def add(self, name, t, kind="f"):
        nb = name.encode()
        if kind == "s":
            data = t.encode()
            self.out += struct.pack("<I", len(nb)) + nb + b"s" + struct.pack("<I", 1) + struct.pack("<i", len(data))
            self.out += data
            return
        t = t.detach().contiguous()
        shape = list(t.shape) or [1]
        self.out += struct.pack("<I", len(nb)) + nb + kind.encode() + struct.pack("<I", len(shape))
        self.out += struct.pack("<%di" % len(shape), *shape)
        if kind == "i":
            self.out += t.to(torch.int32).numpy().astype("<i4").tobytes()
        else:
            self.out += t.to(torch.float32).numpy().astype("<f4").tobytes()


def parse(spec):
    out = []
    for part in spec.split(","):
        f = part.split(":")
        out.append((f[0], [float(x) if "." in x else (x if x == "relu" else int(x)) for x in f[1:]]))
    return out


class Model(torch.nn.Module):
    """The spec grammar of engine/nn.h, with continuo's tensor names kept alongside."""

    def __init__(self, spec, V):
        super().__init__()
        self.layers = parse(spec)
        self.V = V
        self.mods = torch.nn.ModuleList()
        self.names = []   # (continuo name, module, attribute): buffers are replaced by .double()
        width = V
        for i, (kind, a) in enumerate(self.layers):
            p = "%d.%s" % (i, kind)
            if kind == "embed":
                m = torch.nn.Embedding(V, a[0]); width = a[0]
                self.names += [(p + ".weight", m, "weight")]
            elif kind == "conv1d":
                m = torch.nn.Conv1d(width, a[0], a[1]); width = a[0]
                self.names += [(p + ".weight", m, "weight"), (p + ".bias", m, "bias")]
            elif kind in ("lstm", "gru"):
                m = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(width, a[0], batch_first=True); width = a[0]
                self.names += [(p + ".weight_ih", m, "weight_ih_l0"), (p + ".weight_hh", m, "weight_hh_l0"),
                               (p + ".bias_ih", m, "bias_ih_l0"), (p + ".bias_hh", m, "bias_hh_l0")]
            elif kind == "dense":
                m = torch.nn.Linear(width, a[0]); width = a[0]
                self.names += [(p + ".weight", m, "weight"), (p + ".bias", m, "bias")]
            elif kind == "batchnorm":
                m = torch.nn.BatchNorm1d(width)
                self.names += [(p + ".weight", m, "weight"), (p + ".bias", m, "bias"),
                               (p + ".running_mean", m, "running_mean"), (p + ".running_var", m, "running_var")]
            else:
                raise ValueError("parity models have no dropout (its masks are C's own)")
            self.mods.append(m)
        self.out = torch.nn.Linear(width, V)
        self.names += [("out.weight", self.out, "weight"), ("out.bias", self.out, "bias")]

    def named(self):
        return [(n, getattr(m, a)) for n, m, a in self.names]

    def forward(self, tok):                        # tok [B][T] -> logits [B][T][V]
        x = None
        for (kind, a), m in zip(self.layers, self.mods):
            if kind == "embed":
                x = m(tok)
            elif kind == "conv1d":
                inp = F.one_hot(tok, self.V).to(m.weight.dtype) if x is None else x
                y = F.conv1d(F.pad(inp.transpose(1, 2), (a[1] - 1, 0)), m.weight, m.bias)   # causal
                x = torch.relu(y).transpose(1, 2)
            elif kind in ("lstm", "gru"):
                inp = F.one_hot(tok, self.V).to(m.weight_ih_l0.dtype) if x is None else x
                x, _ = m(inp)
            elif kind == "dense":
                inp = F.one_hot(tok, self.V).to(m.weight.dtype) if x is None else x
                x = m(inp)
                if len(a) > 1 and a[1] == "relu":
                    x = torch.relu(x)
            elif kind == "batchnorm":
                x = m(x.transpose(1, 2)).transpose(1, 2)
        return self.out(x)


def make(name, spec, V, B, T, seed):
    torch.manual_seed(seed)
    model = Model(spec, V).double().train()
    # move weights off their init a little so BatchNorm's affine and biases matter
    with torch.no_grad():
        for n, t in model.named():
            if "running" not in n:
                t.add_(0.1 * torch.randn_like(t))
    tok = torch.randint(0, V, (B, T))
    tgt = torch.randint(0, V, (B, T))
    tgt[0, 1] = -1                               # ignored target
    tgt[1, T - 1] = -1                           # ignored on the last step too
    rec = Rec()
    rec.add("spec", spec, "s")
    rec.add("tokens", tok, "i")
    rec.add("targets", tgt, "i")
    for n, t in model.named():
        rec.add("param." + n, t)
    saved = {n: t.detach().clone() for n, t in model.named() if "running" in n}
    # loss on every step
    logits = model(tok)
    loss = F.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1), ignore_index=-1)
    model.zero_grad()
    loss.backward()
    rec.add("all.logits", logits)
    rec.add("all.loss", loss.reshape(1))
    for n, t in model.named():
        if t.grad is not None:
            rec.add("all.grad." + n, t.grad)
    for n, t in model.named():
        if "running" in n:
            rec.add("all.after." + n, t)
    # loss on the last step only (the report's setup), from the same starting weights
    with torch.no_grad():
        for n, t in model.named():
            if n in saved:
                t.copy_(saved[n])
    logits = model(tok)
    last = logits[:, -1]
    loss = F.cross_entropy(last, tgt[:, -1], ignore_index=-1)
    model.zero_grad()
    loss.backward()
    rec.add("last.logits", last)
    rec.add("last.loss", loss.reshape(1))
    for n, t in model.named():
        if t.grad is not None:
            rec.add("last.grad." + n, t.grad)
    # eval mode: running statistics (as the stream uses them)
    model.eval()
    with torch.no_grad():
        rec.add("eval.logits", model(tok))
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, "parity_%s.bin" % name)
    with open(path, "wb") as f:
        f.write(rec.out)
    print("torch_parity: wrote %s (%d bytes): %s, V=%d B=%d T=%d" % (path, len(rec.out), spec, V, B, T))


MODELS = [
    ("stack", "conv1d:8:3,lstm:8,gru:8,dense:8,batchnorm", 20, 4, 7, 1),
    ("embed", "embed:6,conv1d:5:2,lstm:7,dense:6:relu,gru:5", 20, 3, 6, 2),
    ("onehot_gru", "gru:6,lstm:5", 12, 3, 5, 3),
    ("onehot_dense", "dense:6:relu,conv1d:4:3", 12, 3, 5, 4),
]

if __name__ == "__main__":
    torch.set_num_threads(1)
    if len(sys.argv) == 3 and sys.argv[1] == "--out":
        DATA = sys.argv[2]
    for m in MODELS:
        make(*m)
    root = os.path.dirname(os.path.dirname(HERE))   # HERE is tests/parity
    for exe in ("build/san/test_nn_parity", "build/test_nn_parity"):
        p = os.path.join(root, exe)
        if os.path.exists(p):
            print("torch_parity: comparing with %s" % exe)
            sys.exit(subprocess.call([p], cwd=root, env=dict(os.environ, CN_TEST_DATA=DATA)))
    print("torch_parity: reference written; build the C side (make build/san/test_nn_parity) to compare")

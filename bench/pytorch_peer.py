"""PyTorch peer for `npm run bench`: the same models, measured on the same machine.

Reads a JSON job from stdin and prints one JSON object with tokens/s figures, the machine's
single-precision GEMM throughput (numpy/OpenBLAS, the ceiling) and the peak memory. Never run in CI.

job: {"char_text", "word_ids", "word_vocab", "hidden", "record_hidden": [..], "batch", "seq_len",
      "train_steps", "warmup", "record_chars", "threads"}
"""
import json
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def char_ids(text):
    vocab = {c: i for i, c in enumerate(sorted(set(text)))}
    return torch.tensor([vocab[c] for c in text], dtype=torch.long), len(vocab)


class CharLstm(nn.Module):
    """The Neuron Lens char model: one-hot input → LSTM → linear, same parameter count."""

    def __init__(self, vocab, hidden):
        super().__init__()
        self.vocab = vocab
        self.lstm = nn.LSTM(vocab, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def embed(self, x):
        return nn.functional.one_hot(x, self.vocab).float()

    def forward(self, x, state=None):
        h, state = self.lstm(self.embed(x), state)
        return self.out(h), state


class WordLstm(nn.Module):
    """The Neuron Lens word model: embedding (128) → LSTM → linear."""

    def __init__(self, vocab, hidden, embedding):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        self.lstm = nn.LSTM(embedding, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        h, state = self.lstm(self.embedding(x), state)
        return self.out(h), state


def train_speed(model, ids, vocab, job):
    torch.manual_seed(1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    B, T = job["batch"], job["seq_len"]
    stream = ids[: (len(ids) // B) * B].view(B, -1)
    state = None
    pos = 0

    def step():
        nonlocal state, pos
        if pos + T + 1 > stream.shape[1]:
            pos, state = 0, None
        x, y = stream[:, pos : pos + T], stream[:, pos + 1 : pos + T + 1]
        pos += T
        logits, state = model(x, state)
        state = tuple(s.detach() for s in state)
        loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()

    for _ in range(job["warmup"]):
        step()
    t0 = time.perf_counter()
    for _ in range(job["train_steps"]):
        step()
    return job["train_steps"] * B * T / (time.perf_counter() - t0)


def record_hidden_speed(ids, vocab, hidden, job):
    """nn.LSTM over the whole text at batch 1 under no_grad: the fused C++ loop, hidden states only."""
    torch.manual_seed(1)
    model = CharLstm(vocab, hidden).eval()
    x = ids[: job["record_chars"]].view(1, -1)
    with torch.no_grad():
        model.lstm(model.embed(x[:, :100]))
        t0 = time.perf_counter()
        model.lstm(model.embed(x))
        return x.shape[1] / (time.perf_counter() - t0)


def record_internals_speed(ids, vocab, job):
    """Every internal (h, c, i, f, g, o) per token needs a step-by-step loop, as in any
    instrumented tool built on PyTorch (nn.LSTM does not expose its gates)."""
    torch.manual_seed(1)
    model = CharLstm(vocab, job["hidden"]).eval()
    H = job["hidden"]
    U = model.lstm.weight_hh_l0.t().contiguous()
    W = model.lstm.weight_ih_l0.t().contiguous()
    b = model.lstm.bias_ih_l0 + model.lstm.bias_hh_l0
    n = job["record_chars"]
    x = ids[:n]
    out = torch.empty(6, n, H)
    with torch.no_grad():
        proj = model.embed(x) @ W + b
        t0 = time.perf_counter()
        h = torch.zeros(H)
        c = torch.zeros(H)
        for t in range(n):
            z = proj[t] + h @ U
            i = torch.sigmoid(z[:H])
            f = torch.sigmoid(z[H : 2 * H])
            g = torch.tanh(z[2 * H : 3 * H])
            o = torch.sigmoid(z[3 * H :])
            c = f * c + i * g
            h = o * torch.tanh(c)
            out[0, t], out[1, t], out[2, t], out[3, t], out[4, t], out[5, t] = h, c, i, f, g, o
        return n / (time.perf_counter() - t0)


def gemm_gflops(n=1024, repeats=5):
    """Single-precision matrix multiply throughput, the machine's ceiling for these models: the
    better of numpy's BLAS and torch.mm at this run's thread count."""
    a = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(2).standard_normal((n, n), dtype=np.float32)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    best = float("inf")
    for multiply in (lambda: a @ b, lambda: torch.mm(ta, tb)):
        multiply()
        for _ in range(repeats):
            t0 = time.perf_counter()
            multiply()
            best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def main():
    job = json.load(sys.stdin)
    torch.set_num_threads(job["threads"])
    ids, vocab = char_ids(job["char_text"])
    word_ids = torch.tensor(job["word_ids"], dtype=torch.long)
    torch.manual_seed(1)
    result = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "train_char": train_speed(CharLstm(vocab, job["hidden"]), ids, vocab, job),
        "train_word": train_speed(WordLstm(job["word_vocab"], job["hidden"], 128), word_ids, job["word_vocab"], job),
        "record_internals": record_internals_speed(ids, vocab, job),
        "gemm_gflops": gemm_gflops(),
    }
    for hidden in job["record_hidden"]:
        result[f"record_hidden_{hidden}"] = record_hidden_speed(ids, vocab, hidden, job)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()

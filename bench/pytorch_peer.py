"""PyTorch peer for `npm run bench`: the same character LSTM, measured on the same machine.

Reads a JSON job from stdin ({"text", "hidden", "batch", "seq_len", "train_steps", "warmup",
"record_chars", "threads"}) and prints one JSON object with tokens/s figures. Never run in CI.
"""
import json
import sys
import time

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


def train_speed(ids, vocab, job):
    torch.manual_seed(1)
    model = CharLstm(vocab, job["hidden"])
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


def record_hidden_speed(ids, vocab, job):
    """nn.LSTM over the whole text at batch 1: the fused C++ loop, hidden states only."""
    torch.manual_seed(1)
    model = CharLstm(vocab, job["hidden"]).eval()
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


def main():
    job = json.load(sys.stdin)
    torch.set_num_threads(job["threads"])
    ids, vocab = char_ids(job["text"])
    result = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "train_tokens_per_s": train_speed(ids, vocab, job),
        "record_hidden_tokens_per_s": record_hidden_speed(ids, vocab, job),
        "record_internals_tokens_per_s": record_internals_speed(ids, vocab, job),
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()

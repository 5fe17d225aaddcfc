"""PyTorch peer for scripts/benchMaximize.ts: the same activation-maximisation relaxation, timed.

Reads a JSON job from stdin and prints one JSON object: steps/s per thread count and the best.
The relaxation matches src/engine/optimization: theta [starts*length, vocab] ~ N(0, 1), Adam
(lr 0.1), p = softmax((theta + bias) / tau) with tau annealed geometrically, the char LSTM reading
p as its one-hot input (p @ W_ih^T), objective = hidden unit `neuron` after the last token, summed
over the starts. Never run in CI.

job: {"vocab", "hidden", "length", "starts", "steps", "warmup", "neuron", "threads": [1, 2]}
"""
import json
import sys
import time

import torch
import torch.nn as nn


def run(job, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    V, H, L, S = job["vocab"], job["hidden"], job["length"], job["starts"]
    lstm = nn.LSTM(V, H, batch_first=True)
    for p in lstm.parameters():
        p.requires_grad_(False)
    theta = torch.randn(S * L, V, requires_grad=True)
    bias = torch.zeros(V)
    bias[0] = -1e9  # <unk> banned, as in the engine
    opt = torch.optim.Adam([theta], lr=0.1)
    total = job["warmup"] + job["steps"]

    def step(k):
        tau = 1.0 * (0.05 / 1.0) ** (k / max(1, total - 1))
        p = torch.softmax((theta + bias) / tau, dim=1).view(S, L, V)
        h, _ = lstm(p)
        loss = -h[:, -1, job["neuron"]].sum()
        opt.zero_grad()
        loss.backward()
        opt.step()

    for k in range(job["warmup"]):
        step(k)
    t0 = time.perf_counter()
    for k in range(job["warmup"], total):
        step(k)
    return job["steps"] / (time.perf_counter() - t0)


def main():
    job = json.load(sys.stdin)
    per_threads = {str(t): run(job, t) for t in job["threads"]}
    best = max(per_threads, key=per_threads.get)
    print(json.dumps({"torch": torch.__version__, "stepsPerSecond": per_threads, "best": per_threads[best], "bestThreads": int(best)}))


if __name__ == "__main__":
    main()

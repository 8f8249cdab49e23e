"""Real text histories on unchanged data: 2,000 reference documents vs 200-document batches with
log-normal (sigma 1.5) lengths; per-batch evidence and the history rule's false alarms.

Run: ``.venv/bin/python benchmarks/history_text.py HISTORIES BATCHES SEED`` (e.g. ``6 365 5``).
"""
import sys

import numpy as np
from synthetic import text_batch

from drift_core import TaskSpec, compare_profiles, compute_dataset_profile
from drift_core.history import batch_evidence, history_verdict

T = TaskSpec("text")
hist, batches = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(int(sys.argv[3]))
alarms, ps = 0, []
for _ in range(hist):
    ref = compute_dataset_profile(text_batch(2000, rng, lengths="lognormal1.5"), T, sample_size=None)
    p = [batch_evidence(compare_profiles(ref, compute_dataset_profile(text_batch(200, rng, lengths="lognormal1.5"), T,
                                                                      sample_size=None), seed=b))[0]
         for b in range(batches)]
    ps += p
    v = history_verdict(p, rho=200 / 2200)
    alarms += v.state != "stable"
ps = np.array(ps)
print(f"histories {hist} x {batches}: P(p<=0.01) {np.mean(ps <= 0.01):.4f}, P(p<=0.1) {np.mean(ps <= 0.1):.4f}, history alarms {alarms}/{hist}")

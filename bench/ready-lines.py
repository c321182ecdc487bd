#!/usr/bin/env python3
"""Per rollout contender, from its pods' logs (bench/results/<run>/rollout/pods/<contender>-<protocol>/): the start
sequence's own time and the JVM's uptime from each pod's `ready:` line, and the JVM's uptime when the pod's facts were
known (the `kubernetes: pod ...` line's time less the `ready:` line's, plus the uptime then). Medians and ranges.

Usage: bench/ready-lines.py bench/results/<run>/rollout/pods/graceful-runtime*
"""
import re, sys, glob, statistics, datetime
def ts(line): return datetime.datetime.fromisoformat(line[:23])
for d in sys.argv[1:]:
    start, up, facts = [], [], []
    for f in sorted(glob.glob(d + '/*.log')):
        r = k = None
        for line in open(f, errors='replace'):
            m = re.search(r'ready: .* in (\d+) ms \(JVM up (\d+) ms\)', line)
            if m and r is None: r = (ts(line), int(m.group(1)), int(m.group(2)))
            if 'kubernetes: pod ' in line and 'termination grace period' in line and k is None: k = ts(line)
        if r:
            start.append(r[1]); up.append(r[2])
            if k: facts.append(int((k - r[0]).total_seconds() * 1000) + r[2])
    q = lambda xs: f"median {statistics.median(xs):,.0f} ({min(xs):,}-{max(xs):,}) n={len(xs)}" if xs else "-"
    print(d.split('/')[-1]); print("  start sequence:", q(start)); print("  JVM up at READY:", q(up)); print("  JVM up when the pod's facts were known:", q(facts))

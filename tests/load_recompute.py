#!/usr/bin/env python3
"""Recompute `quantbench load`'s summary from its per-request JSONL (--save-requests),
independently of the C code, with the formulas of vllm bench serve's calculate_metrics as
serving.md (b) restates them. Prints one JSON object per (target, level) on stdout.

usage: load_recompute.py REQUESTS.jsonl [ttft:MS] [tpot:MS] [e2el:MS]

Per successful request: ttft = first chunk with choices - send; e2el = last such chunk -
send; itl = every gap between such chunks (pooled over requests); tpot = (e2el - ttft) /
(output_tokens - 1) when output_tokens > 1. duration = the last sent request's end - the
level's start. Statistics in ms: mean, median, population std, percentiles by numpy's
"linear" method; an empty list gives 0.
"""
import json
import math
import sys
from collections import OrderedDict


def percentile(xs, q):
    """numpy.percentile(xs, q), method linear, written out"""
    if not xs:
        return 0.0
    xs = sorted(xs)
    h = (len(xs) - 1) * q / 100.0
    lo = math.floor(h)
    if lo + 1 >= len(xs):
        return xs[-1]
    return xs[lo] + (h - lo) * (xs[lo + 1] - xs[lo])


def dist(out, name, xs):
    n = len(xs)
    mean = sum(xs) / n if n else 0.0
    out['mean_%s_ms' % name] = mean
    out['median_%s_ms' % name] = percentile(xs, 50)
    out['std_%s_ms' % name] = math.sqrt(sum((x - mean) ** 2 for x in xs) / n) if n else 0.0
    for p in (50, 90, 95, 99):
        out['p%d_%s_ms' % (p, name)] = percentile(xs, p)


def summarize(reqs, slo):
    ok = [r for r in reqs if r['success']]
    sent = [r for r in reqs if r['send_ns'] is not None]
    duration = max([r['end_ns'] for r in sent] + [0]) / 1e9
    ttft, tpot, itl, e2el = [], [], [], []
    good = 0
    total_in = total_out = 0
    for r in ok:
        c, s = r['chunk_ns'], r['send_ns']
        f = (c[0] - s) / 1e6
        e = (c[-1] - s) / 1e6
        n = r['output_tokens']
        t = (e - f) / (n - 1) if n > 1 else 0.0
        ttft.append(f)
        e2el.append(e)
        if n > 1:
            tpot.append(t)
        itl += [(c[k] - c[k - 1]) / 1e6 for k in range(1, len(c))]
        total_in += r['prompt_len'] if r['prompt_len'] is not None else r['usage_prompt_tokens']
        total_out += n
        if all(v <= slo[k] for k, v in (('ttft', f), ('tpot', t), ('e2el', e)) if k in slo):
            good += 1
    out = OrderedDict()
    out['duration'] = duration
    out['completed'] = len(ok)
    out['failed'] = len(sent) - len(ok)
    out['total_input_tokens'] = total_in
    out['total_output_tokens'] = total_out
    out['request_throughput'] = len(ok) / duration if duration else 0.0
    if slo:
        out['request_goodput'] = good / duration if duration else 0.0
    out['output_throughput'] = total_out / duration if duration else 0.0
    out['total_token_throughput'] = (total_in + total_out) / duration if duration else 0.0
    # vLLM's per-second buckets from the earliest send: chunks, and requests active
    if ok:
        t0 = min(r['send_ns'] for r in ok)
        t1 = max(r['chunk_ns'][-1] for r in ok)
        nb = math.ceil((t1 - t0) / 1e9) + 1
        tps, conc = [0] * nb, [0] * nb
        for r in ok:
            for c in r['chunk_ns']:
                tps[(c - t0) // 1000000000] += 1
            for b in range((r['send_ns'] - t0) // 1000000000, (r['chunk_ns'][-1] - t0) // 1000000000 + 1):
                conc[b] += 1
        out['max_output_tokens_per_s'] = max(tps)
        out['max_concurrent_requests'] = max(conc)
    else:
        out['max_output_tokens_per_s'] = out['max_concurrent_requests'] = 0
    dist(out, 'ttft', ttft)
    dist(out, 'tpot', tpot)
    dist(out, 'itl', itl)
    dist(out, 'e2el', e2el)
    w = [(r, (r['chunk_ns'][-1] - r['chunk_ns'][0]) / 1e6) for r in ok if r['output_tokens'] > 1]
    den = sum(r['output_tokens'] - 1 for r, _ in w)
    out['qb_tpot_token_weighted_ms'] = sum(d for _, d in w) / den if den else 0.0
    return out


def main():
    reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    slo = {}
    for a in sys.argv[2:]:
        k, v = a.split(':')
        slo[k] = float(v)
    groups = OrderedDict()
    for r in reqs:
        groups.setdefault((r['target'], r['level']), []).append(r)
    for (target, level), rs in groups.items():
        o = OrderedDict([('target', target), ('level', level)])
        o.update(summarize(rs, slo))
        print(json.dumps(o))


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Independent RFC 6076 SER/SEER/ISA/SRD count from tshark fields (outcome = first final response).

Per peer ("byPeer"): a transaction belongs to the source IP (ip.src / ipv6.src) of its first response,
as sip-metrics' `--by peer` gives it; transactions with no response belong to no peer.

Usage: scripts/kpi-truth.py CAPTURE > test/fixtures/kpis/NAME.truth.json
Needs tshark; CI does not run this, it reads the committed JSON.
"""
import json, subprocess, sys

cap = sys.argv[1]
out = subprocess.run(
    ['tshark', '-r', cap, '-Y', 'sip', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,',
     '-e', 'sip.Call-ID', '-e', 'sip.CSeq.seq', '-e', 'sip.CSeq.method', '-e', 'sip.Via.branch',
     '-e', 'sip.Status-Code', '-e', 'frame.time_epoch', '-e', 'sip.Method', '-e', 'ip.src', '-e', 'ipv6.src'],
    check=True, capture_output=True, text=True).stdout
tx = {}
order = []
srd = []
for line in out.splitlines():
    f = line.split('\t')
    if len(f) < 7:
        continue
    callids, seqs, methods, branches, codes, t, reqm = f[:7]
    # the innermost source address (a tunnel's outer header comes first)
    src = ((f[7] if len(f) > 7 else '') or (f[8] if len(f) > 8 else '')).split(',')[-1]
    # one frame may hold several SIP messages (TCP); take them in order
    cl = callids.split(','); sl = seqs.split(','); ml = methods.split(',')
    for i in range(len(cl)):
        if i >= len(sl) or i >= len(ml) or ml[i] != 'INVITE':
            continue
        branch = branches.split(',')[0] if i == 0 else ''
        key = (cl[i], sl[i], branch)
        if key not in tx:
            tx[key] = {'req': None, 'outcome': None, 'answered': False, 'peer': None, 'srd': None}
            order.append(key)
        st = tx[key]
        code = codes.split(',')[0] if codes else ''
        ts = float(t)
        if not code:
            if st['req'] is None and st['outcome'] is None and not st['answered']:
                st['req'] = ts
            continue
        c = int(code)
        if st['peer'] is None:
            st['peer'] = src
        if c > 100 and not st['answered']:
            st['answered'] = True
            if st['req'] is not None:
                st['srd'] = (ts - st['req']) * 1000
                srd.append(st['srd'])
        if c >= 200 and st['outcome'] is None:
            st['outcome'] = c
def counts(txs):
    outs = [v['outcome'] for v in txs]
    delays = [v['srd'] for v in txs if v['srd'] is not None]
    return {
        'inviteTransactions': len(txs),
        'redirected': sum(1 for o in outs if o is not None and 300 <= o < 400),
        'established': sum(1 for o in outs if o == 200),
        'effective': sum(1 for o in outs if o in (200, 480, 486, 600, 603)),
        'ineffective': sum(1 for o in outs if o in (408, 500, 503, 504)),
        'open': sum(1 for o in outs if o is None),
        'srdCount': len(delays), 'srdMeanMs': round(sum(delays) / len(delays), 3) if delays else None,
    }
peers = sorted({v['peer'] for v in tx.values() if v['peer'] is not None})
print(json.dumps({
    'capture': cap.split('/')[-1],
    **counts(list(tx.values())),
    'byPeer': {p: counts([v for v in tx.values() if v['peer'] == p]) for p in peers},
}, indent=2))

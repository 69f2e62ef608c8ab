#!/usr/bin/env python3
"""Independent RFC 6076 SER/SEER/ISA/SRD count from tshark fields (outcome = first final response).

Usage: scripts/kpi-truth.py CAPTURE > test/fixtures/kpis/NAME.truth.json
Needs tshark; CI does not run this, it reads the committed JSON.
"""
import json, subprocess, sys

cap = sys.argv[1]
out = subprocess.run(
    ['tshark', '-r', cap, '-Y', 'sip', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,',
     '-e', 'sip.Call-ID', '-e', 'sip.CSeq.seq', '-e', 'sip.CSeq.method', '-e', 'sip.Via.branch',
     '-e', 'sip.Status-Code', '-e', 'frame.time_epoch', '-e', 'sip.Method'],
    check=True, capture_output=True, text=True).stdout
tx = {}
order = []
srd = []
for line in out.splitlines():
    f = line.split('\t')
    if len(f) < 7:
        continue
    callids, seqs, methods, branches, codes, t, reqm = f[:7]
    # one frame may hold several SIP messages (TCP); take them in order
    cl = callids.split(','); sl = seqs.split(','); ml = methods.split(',')
    for i in range(len(cl)):
        if i >= len(sl) or i >= len(ml) or ml[i] != 'INVITE':
            continue
        branch = branches.split(',')[0] if i == 0 else ''
        key = (cl[i], sl[i], branch)
        if key not in tx:
            tx[key] = {'req': None, 'outcome': None, 'answered': False}
            order.append(key)
        st = tx[key]
        code = codes.split(',')[0] if codes else ''
        ts = float(t)
        if not code:
            if st['req'] is None and st['outcome'] is None and not st['answered']:
                st['req'] = ts
            continue
        c = int(code)
        if c > 100 and not st['answered']:
            st['answered'] = True
            if st['req'] is not None:
                srd.append((ts - st['req']) * 1000)
        if c >= 200 and st['outcome'] is None:
            st['outcome'] = c
n = len(tx)
outs = [v['outcome'] for v in tx.values()]
redirected = sum(1 for o in outs if o is not None and 300 <= o < 400)
est = sum(1 for o in outs if o == 200)
eff = sum(1 for o in outs if o in (200, 480, 486, 600, 603))
ineff = sum(1 for o in outs if o in (408, 500, 503, 504))
srd.sort()
print(json.dumps({
    'capture': cap.split('/')[-1],
    'inviteTransactions': n, 'redirected': redirected, 'established': est, 'effective': eff,
    'ineffective': ineff, 'open': sum(1 for o in outs if o is None),
    'srdCount': len(srd), 'srdMeanMs': round(sum(srd) / len(srd), 3) if srd else None,
}, indent=2))

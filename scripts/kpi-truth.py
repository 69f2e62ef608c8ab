#!/usr/bin/env python3
"""Independent RFC 6076 SER/SEER/ISA/SRD count from tshark fields (outcome = first final response).

Per peer ("byPeer"): a transaction belongs to the source IP (ip.src / ipv6.src) of its first response,
as sip-metrics' `--by peer` gives it; transactions with no response belong to no peer.

Usage: scripts/kpi-truth.py [--by-address] CAPTURE > test/fixtures/kpis/NAME.truth.json
--by-address adds "byAddress": the same per "ip:port" ("[v6]:port") of the first response's sender (UDP/TCP port),
for captures whose peers share one IP (a peer map names them by port).
Needs tshark; CI does not run this, it reads the committed JSON.
"""
import json, subprocess, sys

args = sys.argv[1:]
by_address = '--by-address' in args
cap = [a for a in args if a != '--by-address'][0]
out = subprocess.run(
    ['tshark', '-r', cap, '-Y', 'sip', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,',
     '-e', 'sip.Call-ID', '-e', 'sip.CSeq.seq', '-e', 'sip.CSeq.method', '-e', 'sip.Via.branch',
     '-e', 'sip.Status-Code', '-e', 'frame.time_epoch', '-e', 'sip.Method', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'udp.srcport', '-e', 'tcp.srcport'],
    check=True, capture_output=True, text=True).stdout
tx = {}
order = []
srd = []
# RFC 6076 4.9 (SCR): sessions answered 200 by Call-ID, completed by the first BYE of that Call-ID answered 2xx
sessions = {}
byes = set()
for line in out.splitlines():
    f = line.split('\t')
    if len(f) < 7:
        continue
    callids, seqs, methods, branches, codes, t, reqm = f[:7]
    # the innermost source address (a tunnel's outer header comes first)
    v4 = f[7] if len(f) > 7 else ''
    src = (v4 or (f[8] if len(f) > 8 else '')).split(',')[-1]
    port = ((f[9] if len(f) > 9 else '') or (f[10] if len(f) > 10 else '')).split(',')[-1]
    address = f'{src}:{port}' if v4 else f'[{src}]:{port}'
    # one frame may hold several SIP messages (TCP); take them in order
    cl = callids.split(','); sl = seqs.split(','); ml = methods.split(',')
    for i in range(len(cl)):
        if i >= len(sl) or i >= len(ml) or ml[i] not in ('INVITE', 'BYE'):
            continue
        branch = branches.split(',')[0] if i == 0 else ''
        if ml[i] == 'BYE':
            code = codes.split(',')[0] if codes else ''
            if code and int(code) >= 200 and (cl[i], sl[i], branch) not in byes:
                byes.add((cl[i], sl[i], branch))
                if int(code) < 300:
                    for done in sessions.pop(cl[i], []):
                        done['completed'] = True
            continue
        key = (cl[i], sl[i], branch)
        if key not in tx:
            tx[key] = {'req': None, 'outcome': None, 'answered': False, 'peer': None, 'address': None, 'srd': None}
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
            st['address'] = address
        if c > 100 and not st['answered']:
            st['answered'] = True
            if st['req'] is not None:
                st['srd'] = (ts - st['req']) * 1000
                srd.append(st['srd'])
        if c >= 200 and st['outcome'] is None:
            st['outcome'] = c
            if c == 200:
                sessions.setdefault(cl[i], []).append(st)
def counts(txs):
    outs = [v['outcome'] for v in txs]
    delays = [v['srd'] for v in txs if v['srd'] is not None]
    return {
        'inviteTransactions': len(txs),
        'redirected': sum(1 for o in outs if o is not None and 300 <= o < 400),
        'established': sum(1 for o in outs if o == 200),
        'effective': sum(1 for o in outs if o in (200, 480, 486, 600, 603)),
        'ineffective': sum(1 for o in outs if o in (408, 500, 503, 504)),
        'completed': sum(1 for v in txs if v.get('completed')),
        'open': sum(1 for o in outs if o is None),
        'srdCount': len(delays), 'srdMeanMs': round(sum(delays) / len(delays), 3) if delays else None,
        **({'srdMinMs': round(min(delays), 3), 'srdMaxMs': round(max(delays), 3)} if by_address and delays else {}),
    }
peers = sorted({v['peer'] for v in tx.values() if v['peer'] is not None})
print(json.dumps({
    'capture': cap.split('/')[-1],
    **counts(list(tx.values())),
    'byPeer': {p: counts([v for v in tx.values() if v['peer'] == p]) for p in peers},
    **({'byAddress': {a: counts([v for v in tx.values() if v['address'] == a])
                      for a in sorted({v['address'] for v in tx.values() if v['address'] is not None})}}
       if by_address else {}),
}, indent=2))

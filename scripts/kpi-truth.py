#!/usr/bin/env python3
"""Independent RFC 6076 SER/SEER/ISA/SRD count from tshark's dissection (outcome = first final response).

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
import xml.etree.ElementTree as ET


def messages(capture):
    """Each SIP message of the capture in order, with its own fields (PDML: a TCP frame may hold several messages,
    and tshark's -T fields would join their values per frame, losing which branch and code go with which)."""
    proc = subprocess.Popen(['tshark', '-r', capture, '-Y', 'sip', '-T', 'pdml'], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    # streamed: the PDML of a large capture is gigabytes; each packet is dropped from the root once read
    events = ET.iterparse(proc.stdout, events=('start', 'end'))
    _, root = next(events)
    for event, packet in events:
        if event != 'end' or packet.tag != 'packet':
            continue
        t, v4, v6, port = None, '', '', ''
        for proto in packet.findall('proto'):
            name = proto.get('name')
            for field in proto.iter('field'):
                n = field.get('name')
                if n == 'frame.time_epoch':
                    t = float(field.get('show'))
                # the innermost addresses: a tunnel's outer header comes first
                elif n == 'ip.src':
                    v4, v6 = field.get('show'), ''
                elif n == 'ipv6.src':
                    v6, v4 = field.get('show'), ''
                elif n in ('udp.srcport', 'tcp.srcport'):
                    port = field.get('show')
            if name != 'sip':
                continue
            f = {}
            for field in proto.iter('field'):
                n = field.get('name')
                # the first of each: the top Via's branch, the message's own Call-ID and CSeq
                if n in ('sip.Call-ID', 'sip.CSeq.seq', 'sip.CSeq.method', 'sip.Via.branch', 'sip.Status-Code') and n not in f:
                    f[n] = field.get('show')
            src = v4 or v6
            address = f'{src}:{port}' if v4 else f'[{src}]:{port}'
            yield (f.get('sip.Call-ID', ''), f.get('sip.CSeq.seq', ''), f.get('sip.CSeq.method', ''),
                   f.get('sip.Via.branch', ''), f.get('sip.Status-Code', ''), t, src, address)
        root.clear()
    if proc.wait() != 0:
        raise SystemExit(f'tshark failed on {capture}')


tx = {}
order = []
srd = []
# RFC 6076 4.9 (SCR): sessions answered 200 by Call-ID, completed by the first BYE of that Call-ID answered 2xx
sessions = {}
byes = set()
for callid, seq, method, branch, code, t, src, address in messages(cap):
    if method not in ('INVITE', 'BYE'):
        continue
    if method == 'BYE':
        if code and int(code) >= 200 and (callid, seq, branch) not in byes:
            byes.add((callid, seq, branch))
            if int(code) < 300:
                for done in sessions.pop(callid, []):
                    done['completed'] = True
        continue
    key = (callid, seq, branch)
    if key not in tx:
        tx[key] = {'req': None, 'outcome': None, 'answered': False, 'peer': None, 'address': None, 'srd': None}
        order.append(key)
    st = tx[key]
    ts = t
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
            sessions.setdefault(callid, []).append(st)
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

import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import { CARRY_BUFFER_BYTES, WINDOW_BYTES } from '../../../lambda/engine/text-scanner.js';
import { SipMetricsError } from '../../../lambda/errors.js';
import { readFixture, scanWhole } from '../../support/collect.js';
import { corpusBytes, TEXT_FIXTURES } from '../../support/fuzz/generators.js';
import { pjsipRecord } from '../../support/log-formats.js';
import { response } from '../../support/sip-samples.js';

/**
 * One process scans many files (a warm Lambda, `scan` of a folder), and the readers keep scratch buffers between
 * calls. Whatever a file held, the next file's result must be its own: a cut tcpdump hex dump read its IP addresses
 * from the bytes the previous file's packets had left in the dump buffer (found by the fuzzer: `malformed-packet`
 * counted or not depending on the file scanned before).
 */
const fixture = (file: string): Buffer => {
  const raw = readFixture(file);
  return file.endsWith('.gz') ? gunzipSync(raw) : raw;
};

/** Heads of each text fixture cut at the end of each of its first lines, where readers meet a block that stops short. */
const LINES = 10;
const heads = (bytes: Buffer): Buffer[] => {
  const out: Buffer[] = [];
  for (let at = bytes.indexOf(0x0a); at >= 0 && out.length < LINES; at = bytes.indexOf(0x0a, at + 1))
    out.push(bytes.subarray(0, at + 1));
  return out;
};
/** Heads of the corpus's captures and logs cut at 10 places in their first 20 KB (packets and records cut short). */
const corpusHeads = (file: string): [string, Buffer][] =>
  Array.from({ length: 10 }, (_, i): [string, Buffer] => {
    const n = 997 + i * 1_999;
    return [`${file} cut at ${n}`, corpusBytes(file).subarray(0, n)];
  });
const inputs = [
  ...TEXT_FIXTURES.flatMap((file) =>
    heads(fixture(file)).map((head, i): [string, Buffer] => [`${file} cut after line ${i + 1}`, head]),
  ),
  ...['mixed.pcap', 'sipp.pcapng', 'mixed.kamailio-sipdump.data', 'mixed.ngrep.txt'].flatMap(corpusHeads),
];

/** A scan's whole outcome as text: its result, or its error's class, code and message. */
const outcome = async (bytes: Buffer): Promise<string> => {
  try {
    return JSON.stringify(await scanWhole(bytes));
  } catch (e) {
    return e instanceof SipMetricsError ? `${e.name} ${e.code} ${e.message}` : String(e);
  }
};

/** Files whose packets and messages fill the readers' buffers with bytes of their own. */
const PRIMERS = ['text/tcpdump-X-crafted.txt', 'text/ngrep-x-crafted.txt', 'pcap/tcp-boundaries.pcap'];

describe('a scan in a process that scanned other files before', () => {
  it('gives the result it gives after any other file', async () => {
    // Prepare
    const primers = PRIMERS.map(fixture);
    const differing: string[] = [];

    // Act: each input after an empty scan, then after each primer
    for (const [name, bytes] of inputs) {
      await scanWhole(Buffer.alloc(0));
      const first = await outcome(bytes);
      for (const [i, primer] of primers.entries()) {
        await scanWhole(primer);
        if ((await outcome(bytes)) !== first) differing.push(`${name} after ${PRIMERS[i]}`);
      }
    }

    // Assess
    expect(differing).toEqual([]);
  });

  it('reads a hex dump cut inside its IP header the same after a file of whole packets', async () => {
    // Prepare: a summary line and the dump's first line: 16 bytes, the destination address (bytes 16-19) missing
    const cut = Buffer.from(
      fixture('text/tcpdump-X-crafted.txt').toString('latin1').split('\n').slice(0, 2).join('\n'),
    );

    // Act
    const fresh = await scanWhole(cut);
    await scanWhole(fixture('text/tcpdump-X-crafted.txt'));
    const after = await scanWhole(cut);

    // Assess: before the fix, `malformed-packet` appeared after the whole file only
    expect(after.anomalies).toEqual(fresh.anomalies);
    expect([after.responses, after.unrecognizedBytes]).toEqual([fresh.responses, fresh.unrecognizedBytes]);
  });
});

const busy = (n: number): string => response(486, 'Busy Here', '1 INVITE', `together-${n}@example.com`);

describe('scans running at the same time in one process', () => {
  it('keep each log header for their own message, however their reads interleave', async () => {
    // Prepare: two pjsip logs, every message from one peer in the first and from another in the second, read in
    // 64 KiB chunks with a turn of the event loop between chunks, so that the two scans take turns (as a growing
    // log's two scans do, or the objects of one SQS batch). The scanner first scans when its buffer is full, up to
    // the first line less than a window before the buffer's end: a header placed just before that line is the last
    // line it takes, and its message is scanned only after the other scan had its turn.
    const stop = CARRY_BUFFER_BYTES - WINDOW_BYTES + 1;
    const log = (peer: string): Buffer => {
      const header = `<--- Received SIP response (400 bytes) from UDP:${peer}:5060 --->\n`;
      const parts: string[] = [];
      let length = 0;
      for (let n = 0; length < stop - header.length - 1000; n++) {
        const r = pjsipRecord('in', `UDP:${peer}:5060`, busy(n));
        parts.push(r);
        length += r.length;
      }
      // blank lines up to the header, then its message from `stop` on, then more records past the buffer's end
      parts.push('\n'.repeat(stop - header.length - length), header);
      for (let n = 0; length < CARRY_BUFFER_BYTES * 1.5; n++) {
        const r = `${busy(100_000 + n)}\n${pjsipRecord('in', `UDP:${peer}:5060`, '')}`;
        parts.push(r);
        length += r.length;
      }
      return Buffer.from(parts.join(''), 'latin1');
    };
    async function* slowly(bytes: Buffer): AsyncGenerator<Buffer> {
      for (let at = 0; at < bytes.length; at += 64 * 1024) {
        await new Promise((resolve) => setImmediate(resolve));
        yield bytes.subarray(at, at + 64 * 1024);
      }
    }
    const first = log('203.0.113.1');
    const second = log('198.51.100.2');
    expect(first.toString('latin1', stop - 5, stop + 7)).toBe('--->\nSIP/2.0');

    // Act
    const [a, b] = await Promise.all([scan(slowly(first)), scan(slowly(second))]);

    // Assess: each log's responses all from its own peer
    expect(Object.keys(a.byPeer)).toEqual(['203.0.113.1']);
    expect(Object.keys(b.byPeer)).toEqual(['198.51.100.2']);
    const responses = (bytes: Buffer): number => bytes.toString('latin1').split('SIP/2.0 486').length - 1;
    expect([a.responses, b.responses]).toEqual([responses(first), responses(second)]);
  });
});

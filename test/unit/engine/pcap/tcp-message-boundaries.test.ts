import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../support/collect.js';
import { readCapture } from '../../../support/pcap-builder.js';

/** tshark's reading of tcp-cuts.pcap, committed beside it so that CI needs no tshark. */
interface TsharkTruth {
  readonly responses: readonly { readonly frame: number; readonly statusCode: number }[];
}

/** tshark's responses by status code in a fixture's committed reading. */
const tsharkByCode = (name: string): Record<string, number> => {
  const truth = JSON.parse(readFixture(`pcap/${name}.tshark.json`).toString('utf8')) as TsharkTruth;
  const byCode: Record<string, number> = {};
  for (const r of truth.responses) byCode[String(r.statusCode)] = (byCode[String(r.statusCode)] ?? 0) + 1;
  return byCode;
};

describe('TCP messages the capture does not hold whole (tcp-cuts.pcap, one connection per case)', () => {
  it('counts what tshark counts: a message cut by the end of the capture, FIN, RST or a lost segment is not', () => {
    // Prepare: cut messages 401-412 (see make-tcp-cuts.ts); tshark dissects only 408 and 409, whose first
    // segment the snaplen cut, and the whole 203 that shares a cut segment with 412
    const file = readFixture('pcap/tcp-cuts.pcap');

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(tsharkByCode('tcp-cuts')).toEqual({ '180': 12, '183': 5, '200': 1, '203': 1, '408': 1, '409': 1 });
    expect(result.byCode).toEqual(tsharkByCode('tcp-cuts'));
    // each message left out is said: ten cut messages, none silently lost
    expect(result.anomalies).toEqual({
      'stream-cut': 10,
      'stream-gap': 1,
      'truncated-capture': 5,
      'missing-cseq': 2,
      'stream-garbage': 1,
    });
  });

  it('gives the same counts at every chunk size', () => {
    // Prepare
    const file = readFixture('pcap/tcp-cuts.pcap');
    const expected = readCapture(file).result;

    // Act
    const seen = [1, 13, 100, 1500, 4096].map((size) => readCapture(file, size).result);

    // Assess
    for (const r of seen)
      expect([r.byCode, r.anomalies, r.unrecognizedBytes]).toEqual([
        expected.byCode,
        expected.anomalies,
        expected.unrecognizedBytes,
      ]);
  });
});

describe('TCP segments that do not begin or end where messages do (tcp-boundaries.pcap, one connection per case)', () => {
  it('counts what tshark counts: no message after garbage or a blank line in the same segment', () => {
    // Prepare: see make-tcp-boundaries.ts; tshark leaves out 181-183 and 185 (after a capture's start or a hole
    // mid-message), 201, 203, 205, 209 (after a blank line), 230 (a cut body line joined to the next segment),
    // 242 and 244 (in the body of a message without Content-Length), 246 and 248 (the last Content-Length, 0, counts)
    const file = readFixture('pcap/tcp-boundaries.pcap');

    // Act
    const { result } = readCapture(file);

    // Assess
    const expected = tsharkByCode('tcp-boundaries');
    const kept = [184, 186, 200, 202, 204, 206, 208, 212, 213, 214, 215, 221, 222, 223, 224, 225, 226, 231];
    expect(Object.keys(expected).sort()).toEqual([...kept, 241, 243, 245, 247, 249, 250].map(String));
    expect(result.byCode).toEqual(expected);
    expect(result.anomalies).toEqual({ 'stream-garbage': 15, 'stream-gap': 1, 'stream-cut': 1 });
  });

  it('gives the same counts at every chunk size', () => {
    // Prepare
    const file = readFixture('pcap/tcp-boundaries.pcap');
    const expected = readCapture(file).result;

    // Act
    const seen = [1, 13, 100, 1500, 4096].map((size) => readCapture(file, size).result);

    // Assess
    for (const r of seen) {
      expect([r.byCode, r.anomalies, r.unrecognizedBytes]).toEqual([
        expected.byCode,
        expected.anomalies,
        expected.unrecognizedBytes,
      ]);
    }
  });
});

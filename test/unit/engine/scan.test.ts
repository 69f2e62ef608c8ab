import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import { SipMetricsError } from '../../../lambda/errors.js';
import { chunked } from '../../support/collect.js';
import { invite, response } from '../../support/sip-samples.js';

const caught = async (p: Promise<unknown>): Promise<SipMetricsError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof SipMetricsError) return e;
    throw e;
  }
  throw new Error('expected a SipMetricsError');
};

describe('scan', () => {
  it('ends an input it leaves mid-way for an error: a stream (an S3 body) is destroyed, not left open', async () => {
    // Prepare: a gzip damaged in its first bytes of deflate data, then chunks the scan never needs
    const bad = Buffer.from(gzipSync(Buffer.from(response(486, 'Busy Here').repeat(20_000))));
    bad.fill(0xff, 12, 40);
    let pulled = 0;
    const body = new Readable({
      read() {
        pulled++;
        this.push(pulled === 1 ? bad.subarray(0, 1000) : pulled < 200 ? Buffer.alloc(65_536, 1) : null);
      },
    });

    // Act
    const error = await scan(body).then(
      () => undefined,
      (e: SipMetricsError) => e,
    );
    await new Promise<void>((resolve) => setImmediate(resolve));

    // Assess
    expect(error?.code).toBe('CORRUPT_GZIP');
    expect(body.destroyed).toBe(true);
    expect(pulled).toBeLessThan(200);
  });

  it('reads multi-member gzip (concatenated .gz files) whole', async () => {
    // Prepare
    const member1 = gzipSync(Buffer.from(invite() + response(200, 'OK')));
    const member2 = gzipSync(Buffer.from(response(503, 'Service Unavailable')));
    const both = Buffer.concat([member1, member2]);

    // Act
    const r = await scan(chunked(both, [7, member1.length + 3]));

    // Assess
    expect([r.formats, r.requests, r.byCode, r.bytes]).toEqual([
      ['gzip', 'sip'],
      1,
      { '200': 1, '503': 1 },
      both.length,
    ]);
  });

  it('reports a truncated gzip with the counts read before the cut', async () => {
    // Prepare
    const text = Array.from({ length: 5000 }, (_, i) =>
      response(200 + (i % 7), 'OK', `${i + 1} OPTIONS`, `call-${i * 7919}`),
    ).join('');
    const gz = gzipSync(Buffer.from(text));
    const cut = gz.subarray(0, Math.floor(gz.length * 0.8));

    // Act
    const e = await caught(scan(chunked(cut, [100, 1000])));

    // Assess
    expect(e.code).toBe('TRUNCATED_GZIP');
    const partial = e.context.partial as { responses: number; bytes: number };
    expect(partial.bytes).toBe(cut.length);
    expect(partial.responses).toBeGreaterThan(0);
    expect(partial.responses).toBeLessThan(5000);
  });

  it('calls input with no SIP in any format an unknown format', async () => {
    // Prepare
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));

    // Act
    const e = await caught(scan(chunked(binary, [1000])));

    // Assess
    expect(e.code).toBe('UNKNOWN_FORMAT');
    expect((e.context.partial as { unrecognizedBytes: number }).unrecognizedBytes).toBe(4096);
  });

  it('returns zero counts for empty input', async () => {
    // Prepare / Act
    const r = await scan(chunked(Buffer.alloc(0), []));

    // Assess
    expect([r.bytes, r.messages, r.formats, r.unrecognizedBytes]).toEqual([0, 0, [], 0]);
  });

  it('skips a line longer than the line limit, counts it, and goes on', async () => {
    // Prepare
    const long = Buffer.alloc(3 * 1024 * 1024, 0x41);
    const input = Buffer.concat([long, Buffer.from(`\n${response(486, 'Busy Here')}`)]);

    // Act
    const r = await scan(chunked(input, [64 * 1024, 1024 * 1024, 2 * 1024 * 1024, 3 * 1024 * 1024]));

    // Assess
    expect([r.byCode, r.anomalies, r.unrecognizedBytes]).toEqual([
      { '486': 1 },
      { 'line-too-long': 1 },
      long.length + 1,
    ]);
  });
});

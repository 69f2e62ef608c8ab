import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CORPUS_DIR } from '../support/corpus.js';
import { coldStartHandler, type Emulators, startEmulators } from '../support/emulators.js';
import type { RecordedDatum } from '../support/fake-cloudwatch.js';
import { lambdaContext } from '../support/lambda-context.js';
import { responsesBy } from '../support/responses-by.js';
import { s3Event } from '../support/s3-event.js';
import { sqsEvent, sqsRecord } from '../support/sqs-event.js';

/** peer -> class -> responses, from the `Responses` datums by (Class, Peer). */
const responsesByPeer = (datums: readonly RecordedDatum[]): Record<string, Record<string, number>> => {
  const out: Record<string, Record<string, number>> = {};
  for (const [cls, perPeer] of Object.entries(responsesBy(datums, 'Peer'))) {
    for (const [peer, n] of Object.entries(perPeer)) out[peer] = { ...out[peer], [cls]: n };
  }
  return out;
};

let emu: Emulators;
beforeAll(async () => {
  emu = await startEmulators();
});
afterAll(async () => {
  await emu.stop();
});
beforeEach(() => {
  emu.cloudWatch.reset();
});

describe('PEER_METRICS', () => {
  it('publishes Responses by (Class, Peer) for the named peers and the busiest others, as tshark counts them by sender', async () => {
    // Prepare
    const peers = JSON.stringify({ proxy: ['127.0.0.1:15060', '[::1]:15060'], appserver: ['127.0.0.1:15062'] });
    const { handler } = await coldStartHandler(
      { ...emu.env, PEERS: peers, PEER_METRICS: 'true', PEER_TOP_N: '1' },
      vi.resetModules,
    );
    const obj = await emu.put('peers/mixed.pcap', readFileSync(`${CORPUS_DIR}mixed.pcap`));

    // Act
    await handler(sqsEvent(sqsRecord(s3Event(obj))), lambdaContext());

    // Assess (tshark by source endpoint: test/fixtures/peers-by-source.tshark.json; ::1's 59 are 'other')
    expect(responsesByPeer(emu.cloudWatch.datums)).toEqual({
      proxy: { '1xx': 362, '2xx': 449, '3xx': 11, '4xx': 189, '5xx': 28, '6xx': 23 },
      appserver: { '1xx': 214, '2xx': 87, '3xx': 11, '4xx': 68, '5xx': 27, '6xx': 18 },
      '127.0.0.1': { '1xx': 55, '2xx': 211, '4xx': 17, '6xx': 5 },
      other: { '1xx': 17, '2xx': 37, '4xx': 5 },
    });
    expect(emu.cloudWatch.sum('Responses', { Class: '5xx' })).toBe(55);
  });

  it('publishes nothing by Peer by default', async () => {
    // Prepare
    // (the environment of an earlier cold start stays in process.env: set both explicitly)
    const { handler } = await coldStartHandler({ ...emu.env, PEERS: '', PEER_METRICS: '' }, vi.resetModules);
    const obj = await emu.put('peers-off/mixed.pcap', readFileSync(`${CORPUS_DIR}mixed.pcap`));

    // Act
    await handler(sqsEvent(sqsRecord(s3Event(obj))), lambdaContext());

    // Assess
    expect(responsesByPeer(emu.cloudWatch.datums)).toEqual({});
    expect(emu.cloudWatch.sum('Responses', { Class: '5xx' })).toBe(55);
  });
});

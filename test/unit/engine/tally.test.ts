import { describe, expect, it } from 'vitest';
import { classifyStatusCode } from '../../../lambda/contract/classes.js';
import { MAX_TRACKED_PEERS, Tally } from '../../../lambda/engine/tally.js';

describe('classifyStatusCode', () => {
  it('maps the first digit to the RFC 3261 §7.2 class and rejects codes outside 100..699', () => {
    expect([100, 199, 200, 302, 486, 503, 606].map(classifyStatusCode)).toEqual([
      '1xx',
      '1xx',
      '2xx',
      '3xx',
      '4xx',
      '5xx',
      '6xx',
    ]);
    expect([0, 99, 700, 999, 100.5].map(classifyStatusCode)).toEqual([null, null, null, null, null]);
  });
});

describe('Tally', () => {
  it('counts responses by class, code and method, and per minute of their time', () => {
    // Prepare
    const t = new Tally();
    const at = Date.UTC(2026, 10, 24, 13, 39, 27);

    // Act
    t.addResponse(200, 'INVITE', false, at);
    t.addResponse(200, 'INVITE', true, at + 1000);
    t.addResponse(503, 'OPTIONS', false, at + 60_000);
    t.addResponse(486, 'INVITE', false, undefined);
    t.addRequest('INVITE', false);

    // Assess
    const r = t.toResult();
    expect(r.byClass).toEqual({ '1xx': 0, '2xx': 2, '3xx': 0, '4xx': 1, '5xx': 1, '6xx': 0 });
    expect(r.byMethod).toEqual({ INVITE: { '200': 2, '486': 1 }, OPTIONS: { '503': 1 } });
    expect(r.retransmittedByClass['2xx']).toBe(1);
    expect([r.messages, r.requests, r.responses, r.timedResponses]).toEqual([5, 1, 4, 3]);
    expect(r.series.map((s) => [s.minute, s.byClass['2xx'], s.byClass['5xx'], s.retransmittedByClass['2xx']])).toEqual([
      ['2026-11-24T13:39:00.000Z', 2, 0, 1],
      ['2026-11-24T13:40:00.000Z', 0, 1, 0],
    ]);
  });

  it('counts a status code outside 100..699 as an anomaly, never under a class', () => {
    // Prepare
    const t = new Tally();

    // Act
    const counted = t.addResponse(799, 'INVITE', false, undefined);

    // Assess
    const r = t.toResult();
    expect([counted, r.responses, r.anomalies]).toEqual([false, 0, { 'invalid-status-code': 1 }]);
  });
});

describe('Tally keys', () => {
  it('lists codes in numeric order and methods in string order, per minute too, whatever order they came in', () => {
    // Prepare
    const t = new Tally();
    const at = Date.UTC(2026, 10, 24, 13, 39, 27);

    // Act: methods and codes first seen out of order, a numeric-looking method token among them
    for (const [code, method] of [
      [603, 'OPTIONS'],
      [100, 'INVITE'],
      [486, '123'],
      [200, 'ACK'],
      [200, 'INVITE'],
      [180, 'INVITE'],
    ] as const) {
      t.addResponse(code, method, false, at, '192.0.2.1:5060');
    }

    // Assess
    const r = t.toResult();
    const minute = r.series[0];
    expect(
      JSON.stringify([r.byCode, r.byMethod, minute?.byCode, minute?.byMethod, r.byPeer['192.0.2.1']?.byCode]),
    ).toBe(
      JSON.stringify([
        { '100': 1, '180': 1, '200': 2, '486': 1, '603': 1 },
        { '123': { '486': 1 }, ACK: { '200': 1 }, INVITE: { '100': 1, '180': 1, '200': 1 }, OPTIONS: { '603': 1 } },
        { '100': 1, '180': 1, '200': 2, '486': 1, '603': 1 },
        { '123': { '486': 1 }, ACK: { '200': 1 }, INVITE: { '100': 1, '180': 1, '200': 1 }, OPTIONS: { '603': 1 } },
        { '100': 1, '180': 1, '200': 2, '486': 1, '603': 1 },
      ]),
    );
  });
});

describe('Tally peers', () => {
  it('keys senders by IP, sums peers past MAX_TRACKED_PEERS under other, and keeps every sender where it was first put', () => {
    // Prepare
    const t = new Tally();
    const ip = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

    // Act: the bound's worth of peers, one past it, then each of the first and the last again from another port
    for (let i = 0; i < MAX_TRACKED_PEERS; i++) t.addResponse(200, 'INVITE', false, undefined, `${ip(i)}:5060`);
    t.addResponse(503, 'INVITE', false, undefined, `${ip(MAX_TRACKED_PEERS)}:5060`);
    t.addResponse(486, 'INVITE', false, undefined, `${ip(0)}:5061`);
    t.addResponse(503, 'INVITE', false, undefined, `${ip(MAX_TRACKED_PEERS)}:5060`);
    t.addResponse(180, 'INVITE', false, undefined);

    // Assess
    const r = t.toResult();
    expect(Object.keys(r.byPeer).length).toBe(MAX_TRACKED_PEERS + 1);
    expect(r.byPeer[ip(0)]).toEqual({
      responses: 2,
      byClass: { '1xx': 0, '2xx': 1, '3xx': 0, '4xx': 1, '5xx': 0, '6xx': 0 },
      byCode: { '200': 1, '486': 1 },
    });
    expect(r.byPeer.other).toEqual({
      responses: 3,
      byClass: { '1xx': 1, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 2, '6xx': 0 },
      byCode: { '180': 1, '503': 2 },
    });
    expect(r.byPeer[ip(MAX_TRACKED_PEERS)]).toBeUndefined();
  });
});

describe('Tally keys from the log', () => {
  it('keeps a CSeq method named __proto__ as a key of its own, never as a prototype', () => {
    // Prepare
    const t = new Tally();

    // Act
    t.addResponse(200, '__proto__', false, Date.UTC(2026, 10, 24, 13, 39, 27));
    t.addRequest('__proto__', false);

    // Assess
    const r = t.toResult();
    expect(JSON.stringify([r.byMethod, r.requestsByMethod, r.series[0]?.byMethod])).toBe(
      '[{"__proto__":{"200":1}},{"__proto__":1},{"__proto__":{"200":1}}]',
    );
    expect(Object.getPrototypeOf(r.byMethod)).toBe(Object.prototype);
  });
});

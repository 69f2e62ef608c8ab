import { describe, expect, it } from 'vitest';
import { retryDelaySeconds } from '../../../lambda/adapters/sqs-retry.js';

const NOW = Date.parse('2026-12-07T16:00:00Z');
/** The wait of a delivery of this receive count, the queue's visibility timeout and a claim's end given. */
const wait = (receiveCount: number | undefined, visibilitySeconds = 5_400, leaseExpiresAtMs?: number) =>
  retryDelaySeconds({ receiveCount, visibilitySeconds, leaseExpiresAtMs, nowMs: NOW });

describe('retryDelaySeconds', () => {
  it('brings the first three retries forward, 1, 5 and 25 minutes, and leaves later ones to the queue', () => {
    // Act, Assess: the default 900 s function timeout, a 5,400 s visibility timeout
    expect([1, 2, 3, 4, 5].map((n) => wait(n))).toEqual([60, 300, 1_500, undefined, undefined]);
  });

  it('never asks for a wait the queue would end sooner (a 60 s function timeout: 360 s visibility)', () => {
    // Act, Assess
    expect([1, 2, 3].map((n) => wait(n, 360))).toEqual([60, 300, undefined]);
    expect(wait(1, 60)).toBeUndefined();
  });

  it('waits for another invocation claim to end, 5 s more, whatever the receive count', () => {
    // Act, Assess: 10 minutes of claim left; one that ends in 2 s keeps the receive's own wait
    expect([1, 2, 4].map((n) => wait(n, 5_400, NOW + 600_000))).toEqual([605, 605, 605]);
    expect(wait(3, 5_400, NOW + 600_000)).toBe(1_500);
    expect(wait(1, 5_400, NOW + 2_000)).toBe(60);
    expect(wait(1, 360, NOW + 600_000)).toBeUndefined();
  });

  it('brings a message that cannot be read back at once, whatever the receive count, so it reaches the DLQ in seconds', () => {
    // Act, Assess
    const unreadable = (receiveCount: number | undefined) =>
      retryDelaySeconds({ receiveCount, visibilitySeconds: 5_400, unreadable: true, nowMs: NOW });
    expect([1, 2, 3, 4, 5, undefined].map(unreadable)).toEqual(Array(6).fill(0));
  });

  it('asks for nothing when the receive count is not a count', () => {
    // Act, Assess
    expect([0, -1, 1.5, Number.NaN, undefined].map((n) => wait(n))).toEqual(Array(5).fill(undefined));
  });
});

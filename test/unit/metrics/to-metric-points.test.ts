import { describe, expect, it } from 'vitest';
import { Tally } from '../../../lambda/engine/tally.js';
import type { MetricPoint } from '../../../lambda/metrics/metric-point.js';
import { toMetricPoints } from '../../../lambda/metrics/to-metric-points.js';

const NOW = Date.parse('2026-11-24T20:00:30.000Z');
const UPLOAD = Date.parse('2026-11-24T19:58:10.000Z');
const T1 = Date.parse('2026-11-24T13:39:27.000Z');
const T2 = Date.parse('2026-11-24T13:40:05.000Z');

/** A compact view of a datum: name, dimensions, minute, values x counts. */
const view = (p: MetricPoint): string =>
  `${p.MetricName}{${p.Dimensions.map((d) => `${d.Name}=${d.Value}`).join(',')}}@${p.Timestamp.toISOString().slice(11, 16)} ` +
  p.Values.map((v, i) => `${v}x${p.Counts[i]}`).join(' ');

describe('toMetricPoints', () => {
  it('publishes per minute a total and one datum per non-zero class, untimed responses at the upload minute', () => {
    // Prepare
    const t = new Tally();
    t.bytes = 1234;
    t.addResponse(200, 'INVITE', false, T1);
    t.addResponse(200, 'INVITE', true, T1);
    t.addResponse(503, 'INVITE', false, T2);
    t.addResponse(180, 'INVITE', false, undefined);

    // Act
    const { points, restampedResponses } = toMetricPoints(t.toResult(), {
      detail: 'class',
      uploadTimeMs: UPLOAD,
      nowMs: NOW,
    });

    // Assess
    expect(restampedResponses).toBe(0);
    expect(points.map(view)).toEqual([
      'Responses{}@13:39 1x2',
      'Responses{Class=2xx}@13:39 1x2',
      'RetransmittedResponses{Class=2xx}@13:39 1x1',
      'Responses{}@13:40 1x1',
      'Responses{Class=5xx}@13:40 1x1',
      'Responses{}@19:58 1x1',
      'Responses{Class=1xx}@19:58 1x1',
      'UntimedResponses{}@19:58 1x1',
      'BytesProcessed{}@20:00 1234x1',
      'FilesProcessed{}@20:00 1x1',
    ]);
    expect(points.every((p) => p.Unit === (p.MetricName === 'BytesProcessed' ? 'Bytes' : 'Count'))).toBe(true);
  });

  it('adds (Class, Code) datums with METRIC_DETAIL=code', () => {
    // Prepare
    const t = new Tally();
    t.addResponse(486, 'INVITE', false, T1);
    t.addResponse(486, 'INVITE', false, T1);
    t.addResponse(404, 'MESSAGE', false, T1);

    // Act
    const { points } = toMetricPoints(t.toResult(), { detail: 'code', uploadTimeMs: UPLOAD, nowMs: NOW });

    // Assess
    expect(points.map(view).filter((v) => v.includes('Code='))).toEqual([
      'Responses{Class=4xx,Code=404}@13:39 1x1',
      'Responses{Class=4xx,Code=486}@13:39 1x2',
    ]);
  });

  it('adds (Class, Method) datums with METRIC_DETAIL=method and folds unknown methods into OTHER', () => {
    // Prepare
    const t = new Tally();
    t.addResponse(200, 'INVITE', false, T1);
    t.addResponse(200, 'FOO', false, T1);
    t.addResponse(501, 'BAR', false, T1);

    // Act
    const { points } = toMetricPoints(t.toResult(), { detail: 'method', uploadTimeMs: UPLOAD, nowMs: NOW });

    // Assess
    expect(points.map(view).filter((v) => v.includes('Method='))).toEqual([
      'Responses{Class=2xx,Method=INVITE}@13:39 1x1',
      'Responses{Class=2xx,Method=OTHER}@13:39 1x1',
      'Responses{Class=5xx,Method=OTHER}@13:39 1x1',
    ]);
  });

  it('restamps minutes outside the accepted window with the processing minute and merges them', () => {
    // Prepare
    const t = new Tally();
    t.addResponse(500, 'INVITE', false, NOW - 15 * 86_400_000);
    t.addResponse(500, 'BYE', false, NOW - 30 * 86_400_000);
    t.addResponse(603, 'INVITE', false, NOW + 3 * 3_600_000);
    t.anomaly('truncated-body', 3);

    // Act
    const r = toMetricPoints(t.toResult(), { detail: 'class', uploadTimeMs: UPLOAD, nowMs: NOW });

    // Assess
    expect(r.restampedResponses).toBe(3);
    expect(r.restampedRange).toEqual(['2026-10-25T20:00:00.000Z', '2026-11-24T23:00:00.000Z']);
    expect(r.points.map(view)).toEqual([
      'BytesProcessed{}@20:00 0x1',
      'FilesProcessed{}@20:00 1x1',
      'ParseAnomalies{}@20:00 1x3',
      'ParseAnomalies{Anomaly=truncated-body}@20:00 1x3',
      'Responses{}@20:00 1x3',
      'Responses{Class=5xx}@20:00 1x2',
      'Responses{Class=6xx}@20:00 1x1',
    ]);
  });

  it('gives the same datums for the same counts (batches must be the same on redelivery)', () => {
    // Prepare
    const t = new Tally();
    for (let i = 0; i < 500; i++) t.addResponse(100 + (i % 6) * 100, 'INVITE', i % 7 === 0, T1 + i * 7_000);
    const opts = { detail: 'code', uploadTimeMs: UPLOAD, nowMs: NOW } as const;

    // Act
    const a = toMetricPoints(t.toResult(), opts);
    const b = toMetricPoints(JSON.parse(JSON.stringify(t.toResult())), opts);

    // Assess
    expect(b.points).toEqual(a.points);
    expect(a.points.filter((p) => p.MetricName === 'Responses' && p.Dimensions.length === 0).length).toBe(59);
  });
});

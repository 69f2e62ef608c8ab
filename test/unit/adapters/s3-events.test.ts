import { describe, expect, it } from 'vitest';
import { decodeS3Key, readInvocation } from '../../../lambda/adapters/s3-events.js';
import { eventBridgeObjectCreated, s3Event, s3Record, s3TestEvent } from '../../support/s3-event.js';
import { sqsEvent, sqsRecord } from '../../support/sqs-event.js';

const OBJ = { bucket: 'logs', key: 'a b/été+1.log', size: 10, eTag: 'abc', eventTime: '2026-11-24T12:00:00.000Z' };

describe('decodeS3Key', () => {
  it('turns + into a space and decodes %XX escapes as UTF-8', () => {
    // Act, Assess
    expect(decodeS3Key('a+b/%C3%A9t%C3%A9%2B1.log')).toBe('a b/été+1.log');
  });

  it('rejects a malformed escape with BAD_EVENT', () => {
    // Act, Assess
    expect(() => decodeS3Key('bad%E0%A4%A.log')).toThrow(expect.objectContaining({ code: 'BAD_EVENT' }));
  });
});

describe('readInvocation', () => {
  it('reads a direct S3 notification into object refs with decoded keys', () => {
    // Act, Assess
    expect(readInvocation(s3Event(OBJ))).toEqual({
      kind: 'direct',
      refs: [
        {
          bucket: 'logs',
          key: 'a b/été+1.log',
          eTag: 'abc',
          sequencer: '0055AED6DCD90281E5',
          size: 10,
          uploadTimeMs: Date.parse(OBJ.eventTime),
        },
      ],
    });
  });

  it('reads an EventBridge "Object Created" event, version id included', () => {
    // Act, Assess
    expect(readInvocation(eventBridgeObjectCreated({ ...OBJ, versionId: 'v1' }))).toEqual({
      kind: 'direct',
      refs: [
        {
          bucket: 'logs',
          key: 'a b/été+1.log',
          versionId: 'v1',
          eTag: 'abc',
          size: 10,
          uploadTimeMs: Date.parse(OBJ.eventTime),
        },
      ],
    });
  });

  it('ignores an s3:TestEvent and records of other event names', () => {
    // Act, Assess
    expect(readInvocation(s3TestEvent('logs'))).toEqual({ kind: 'direct', refs: [] });
    expect(readInvocation({ Records: [s3Record({ ...OBJ, eventName: 'ObjectRemoved:Delete' })] })).toEqual({
      kind: 'direct',
      refs: [],
    });
  });

  it('keeps SQS message bodies apart by message id, with their receipt handles and receive counts', () => {
    // Prepare: the second delivered for the third time; a hand-made record without either
    const again = sqsRecord('y', 'm2');
    const bare = { eventSource: 'aws:sqs', messageId: 'm3', body: 'z' };

    // Act, Assess
    expect(
      readInvocation(
        sqsEvent(sqsRecord('x', 'm1'), { ...again, attributes: { ...again.attributes, ApproximateReceiveCount: '3' } }),
      ),
    ).toEqual({
      kind: 'sqs',
      messages: [
        { messageId: 'm1', body: 'x', receiptHandle: 'AQEBm1', receiveCount: 1 },
        { messageId: 'm2', body: 'y', receiptHandle: 'AQEBm2', receiveCount: 3 },
      ],
    });
    expect(readInvocation({ Records: [bare] })).toEqual({ kind: 'sqs', messages: [{ messageId: 'm3', body: 'z' }] });
    // an empty handle and a numeric count are read, not refused with the whole batch
    expect(
      readInvocation({ Records: [{ ...bare, receiptHandle: '', attributes: { ApproximateReceiveCount: 2 } }] }),
    ).toEqual({ kind: 'sqs', messages: [{ messageId: 'm3', body: 'z', receiveCount: 2 }] });
  });

  it('rejects an event of no known shape with BAD_EVENT', () => {
    // Act, Assess
    expect(() => readInvocation({ hello: 'world' })).toThrow(expect.objectContaining({ code: 'BAD_EVENT' }));
  });
});

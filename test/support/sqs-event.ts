import type { SQSEvent, SQSRecord } from 'aws-lambda';

let sequence = 0;

/** One SQS record whose body is the JSON of `payload` (or `payload` itself when it is a string). */
export const sqsRecord = (payload: unknown, messageId = `msg-${++sequence}`): SQSRecord => ({
  messageId,
  receiptHandle: `AQEB${messageId}`,
  body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: String(Date.now()),
    SenderId: 'AIDAIENQZJOLO23YVJ4VO',
    ApproximateFirstReceiveTimestamp: String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: '00000000000000000000000000000000',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:sip-logs',
  awsRegion: 'us-east-1',
});

/** An SQS event as Lambda's event source mapping delivers it. */
export const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

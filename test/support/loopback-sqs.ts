import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One ChangeMessageVisibility call as it arrived. */
export interface VisibilityChange {
  readonly queueUrl: string;
  readonly receiptHandle: string;
  readonly visibilityTimeout: number;
}

/**
 * A loopback SQS endpoint on 127.0.0.1 for the real handler's real SDK client: it answers ChangeMessageVisibility as
 * SQS does over AWS JSON 1.0 (`X-Amz-Target: AmazonSQS.ChangeMessageVisibility`) and records each call; `failWith`
 * makes it refuse calls with SQS's ReceiptHandleIsInvalid (400, which the SDK does not retry). Any other action is a
 * 400 UnsupportedOperation, so a test sees at once if the handler starts calling something else.
 */
export interface LoopbackSqs {
  readonly url: string;
  readonly changes: VisibilityChange[];
  /** Targets of every request, in order. */
  readonly targets: string[];
  failWith(invalid: boolean): void;
  reset(): void;
  stop(): Promise<void>;
}

const JSON_1_0 = { 'content-type': 'application/x-amz-json-1.0' };

export const startLoopbackSqs = async (): Promise<LoopbackSqs> => {
  const changes: VisibilityChange[] = [];
  const targets: string[] = [];
  let invalid = false;
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      targets.push(target);
      if (target !== 'AmazonSQS.ChangeMessageVisibility') {
        res.writeHead(400, JSON_1_0);
        res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#UnsupportedOperation', message: target }));
        return;
      }
      if (invalid) {
        res.writeHead(400, { ...JSON_1_0, 'x-amzn-query-error': 'ReceiptHandleIsInvalid;Sender' });
        res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#ReceiptHandleIsInvalid', message: 'injected' }));
        return;
      }
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
      changes.push({
        queueUrl: String(body.QueueUrl),
        receiptHandle: String(body.ReceiptHandle),
        visibilityTimeout: Number(body.VisibilityTimeout),
      });
      res.writeHead(200, JSON_1_0);
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    changes,
    targets,
    failWith(v) {
      invalid = v;
    },
    reset() {
      changes.length = 0;
      targets.length = 0;
      invalid = false;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

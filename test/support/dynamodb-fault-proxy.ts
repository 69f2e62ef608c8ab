import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy in front of the local DynamoDB that answers the requests `failing` picks with DynamoDB's own
 * 500 (InternalServerError, which the SDK retries and then gives up on) and passes every other request on untouched:
 * a passing DynamoDB failure at one chosen write, for the real handler and its real SDK client.
 */
export interface DynamoDbFaultProxy {
  readonly url: string;
  /** Requests answered with a 500 so far. */
  readonly failed: () => number;
  stop(): Promise<void>;
}

/** `failing(target, body)`: whether to fail a request, by its X-Amz-Target (`DynamoDB_20120810.UpdateItem`) and JSON body. */
export const startDynamoDbFaultProxy = async (
  upstream: string,
  failing: (target: string, body: string) => boolean,
): Promise<DynamoDbFaultProxy> => {
  const to = new URL(upstream);
  let failed = 0;
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      if (failing(String(req.headers['x-amz-target'] ?? ''), body.toString('utf8'))) {
        failed++;
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'injected' }),
        );
        return;
      }
      const forward = request(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    failed: () => failed,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

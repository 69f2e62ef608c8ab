import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { LocalServices } from './emulators.js';

/** What s3rver's requests tell about a key that its events do not. */
export interface S3RequestWatch {
  /** True (once) when the key's last POST completed a multipart upload. */
  takeMultipartCompletion(key: string): boolean;
  /** True (once) when the key was last PUT with aws-chunked encoding. */
  takeAwsChunked(key: string): boolean;
  /** Bytes s3rver has sent of the key's current GET, if one is in progress. */
  bytesSent(key: string): number | undefined;
}

const isAwsChunked = (headers: IncomingHttpHeaders): boolean =>
  String(headers['content-encoding'] ?? '').includes('aws-chunked') ||
  String(headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');

/** Watches s3rver's requests to `bucket`: multipart completions, aws-chunked uploads, reads in progress. */
export const watchS3Requests = (server: LocalServices['s3']['server'], bucket: string): S3RequestWatch => {
  const completing = new Set<string>();
  const chunked = new Set<string>();
  const reads = new Map<string, { socket: Socket; base: number }>();
  const keyOfPath = (pathname: string): string | null => {
    const head = `/${bucket}/`;
    if (!pathname.startsWith(head) || pathname.length === head.length) return null;
    try {
      return decodeURIComponent(pathname.slice(head.length));
    } catch {
      return null;
    }
  };
  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const key = keyOfPath(url.pathname);
    if (key === null) return;
    if (req.method === 'POST' && url.searchParams.has('uploadId')) completing.add(key);
    if (req.method === 'PUT' && isAwsChunked(req.headers)) chunked.add(key);
    if (req.method === 'GET') {
      const entry = { socket: req.socket, base: req.socket.bytesWritten };
      reads.set(key, entry);
      res.once('close', () => {
        if (reads.get(key) === entry) reads.delete(key);
      });
    }
  });
  return {
    takeMultipartCompletion: (key) => completing.delete(key),
    takeAwsChunked: (key) => chunked.delete(key),
    bytesSent: (key) => {
      const read = reads.get(key);
      return read === undefined ? undefined : read.socket.bytesWritten - read.base;
    },
  };
};

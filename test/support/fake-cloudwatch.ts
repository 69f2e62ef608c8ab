import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One datum as CloudWatch would store it, with dimensions as a record. */
export interface RecordedDatum {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly timestampMs: number;
  readonly unit: string;
  readonly values: readonly number[];
  readonly counts: readonly number[];
}

/** One HTTP request as it arrived, before any fault was applied. */
export interface RecordedRequest {
  readonly target: string;
  readonly contentType: string;
  readonly contentEncoding: string;
  readonly wireBytes: number;
  readonly jsonBytes: number;
  datums: number;
  /** HTTP status sent back (0 when the request was held without an answer). */
  status: number;
}

/** What to do with a request instead of accepting it. */
export type Fault =
  | { readonly kind: 'throttle' }
  | { readonly kind: 'server-error'; readonly status?: 500 | 502 | 503 | 504 }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'slow'; readonly ms: number }
  | { readonly kind: 'hang' };

/** The parsed body of a PutMetricData request, as a fault rule sees it. */
export interface PutMetricDataBody {
  readonly Namespace?: unknown;
  readonly MetricData?: WireDatum[];
}

/** Decides per request (0-based index of all requests, accepted calls so far, its body) whether to inject a fault. */
export type FaultRule = (requestIndex: number, accepted: number, body: PutMetricDataBody) => Fault | null;

/** A loopback CloudWatch endpoint for PutMetricData, as the installed @aws-sdk/client-cloudwatch speaks it. */
export interface FakeCloudWatch {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Datums of every accepted call, in arrival order. */
  readonly datums: RecordedDatum[];
  readonly requests: RecordedRequest[];
  /** Accepted PutMetricData calls. */
  accepted(): number;
  setFaults(rule: FaultRule | null): void;
  /** Forgets every datum and request and removes the fault rule. */
  reset(): void;
  /** Sum of Values[i] x Counts[i] over the datums of one metric whose dimensions equal `dims` exactly. */
  sum(metricName: string, dims?: Readonly<Record<string, string>>): number;
  close(): Promise<void>;
}

/** The X-Amz-Target of PutMetricData: CloudWatch's Smithy service name (AWS JSON 1.0 protocol). */
export const PUT_METRIC_DATA_TARGET = 'GraniteServiceVersion20100801.PutMetricData';

/** Limits the real service enforces (API_PutMetricData); the fake rejects what CloudWatch would reject. */
const LIMITS = { datums: 1000, bytes: 1024 * 1024, values: 150, dimensions: 30 } as const;
const MS_PER_HOUR = 3_600_000;

/** One MetricData member as the SDK serialises it. */
export interface WireDatum {
  MetricName?: unknown;
  Dimensions?: { Name?: unknown; Value?: unknown }[];
  Timestamp?: unknown;
  Unit?: unknown;
  Value?: unknown;
  Values?: unknown;
  Counts?: unknown;
}

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
};

/**
 * Replies with an error the way CloudWatch's awsQueryCompatible JSON protocol does: `__type` in the body and
 * `x-amzn-query-error: <Code>;<Sender|Receiver>`, which the SDK turns into the error name it retries on.
 */
const sendError = (res: ServerResponse, status: number, code: string, fault: 'Sender' | 'Receiver', msg: string) => {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-query-error': `${code};${fault}`,
    'x-amzn-requestid': `fake-${Date.now()}`,
  });
  res.end(JSON.stringify({ __type: `com.amazonaws.cloudwatch#${code}`, message: msg }));
};

const validate = (body: { Namespace?: unknown; MetricData?: WireDatum[] }, jsonBytes: number): string | null => {
  if (typeof body.Namespace !== 'string' || body.Namespace.length === 0) return 'Namespace is required';
  const data = body.MetricData;
  if (!Array.isArray(data) || data.length === 0) return 'MetricData is required';
  if (data.length > LIMITS.datums) return `MetricData has ${data.length} members, at most ${LIMITS.datums}`;
  if (jsonBytes > LIMITS.bytes) return `request of ${jsonBytes} bytes exceeds 1 MB`;
  const now = Date.now();
  for (const d of data) {
    if (typeof d.MetricName !== 'string') return 'MetricName is required';
    const values = Array.isArray(d.Values) ? d.Values : [];
    const counts = Array.isArray(d.Counts) ? d.Counts : [];
    if (values.length > LIMITS.values) return `Values has ${values.length} members, at most ${LIMITS.values}`;
    if (counts.length > 0 && counts.length !== values.length) return 'Values and Counts differ in length';
    if ((d.Dimensions ?? []).length > LIMITS.dimensions) return 'too many dimensions';
    if (typeof d.Timestamp !== 'number') return 'Timestamp must be epoch seconds';
    const t = d.Timestamp * 1000;
    if (t < now - 14 * 24 * MS_PER_HOUR || t > now + 2 * MS_PER_HOUR) {
      return `Timestamp ${new Date(t).toISOString()} is outside the two weeks past / two hours future window`;
    }
  }
  return null;
};

/** Starts the fake on 127.0.0.1 and a free port. */
export const startFakeCloudWatch = async (): Promise<FakeCloudWatch> => {
  const datums: RecordedDatum[] = [];
  const requests: RecordedRequest[] = [];
  let accepted = 0;
  let rule: FaultRule | null = null;
  const held = new Set<ServerResponse>();

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const encoding = String(req.headers['content-encoding'] ?? '');
      const json = encoding === 'gzip' ? gunzipSync(raw) : raw;
      const target = String(req.headers['x-amz-target'] ?? '');
      const record: RecordedRequest = {
        target,
        contentType: String(req.headers['content-type'] ?? ''),
        contentEncoding: encoding,
        wireBytes: raw.length,
        jsonBytes: json.length,
        datums: 0,
        status: 0,
      };
      requests.push(record);
      const reply = (status: number, fn: () => void): void => {
        record.status = status;
        fn();
      };
      if (req.method !== 'POST' || target !== PUT_METRIC_DATA_TARGET) {
        reply(400, () => sendError(res, 400, 'UnknownOperationException', 'Sender', `unsupported target ${target}`));
        return;
      }
      if (record.contentType !== 'application/x-amz-json-1.0') {
        reply(400, () => sendError(res, 400, 'SerializationException', 'Sender', 'expected AWS JSON 1.0'));
        return;
      }
      const body = JSON.parse(json.toString('utf8')) as { Namespace?: unknown; MetricData?: WireDatum[] };
      record.datums = Array.isArray(body.MetricData) ? body.MetricData.length : 0;
      const fault = rule?.(requests.length - 1, accepted, body) ?? null;
      if (fault?.kind === 'hang') {
        held.add(res);
        return;
      }
      if (fault?.kind === 'throttle') {
        reply(400, () => sendError(res, 400, 'Throttling', 'Sender', 'Rate exceeded'));
        return;
      }
      if (fault?.kind === 'server-error') {
        const status = fault.status ?? 500;
        reply(status, () => sendError(res, status, 'InternalServiceError', 'Receiver', 'injected server error'));
        return;
      }
      if (fault?.kind === 'invalid') {
        reply(400, () => sendError(res, 400, 'InvalidParameterValue', 'Sender', 'injected non-retryable error'));
        return;
      }
      if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.ms));
      const problem = validate(body, json.length);
      if (problem !== null) {
        reply(400, () => sendError(res, 400, 'InvalidParameterValue', 'Sender', problem));
        return;
      }
      for (const d of body.MetricData ?? []) {
        const values = Array.isArray(d.Values) ? (d.Values as number[]) : [Number(d.Value)];
        const counts = Array.isArray(d.Counts) ? (d.Counts as number[]) : values.map(() => 1);
        datums.push({
          namespace: String(body.Namespace),
          metricName: String(d.MetricName),
          dimensions: Object.fromEntries((d.Dimensions ?? []).map((x) => [String(x.Name), String(x.Value)])),
          timestampMs: Number(d.Timestamp) * 1000,
          unit: String(d.Unit ?? 'None'),
          values,
          counts,
        });
      }
      accepted++;
      reply(200, () => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `fake-${accepted}` });
        res.end('{}');
      });
    })().catch((e: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'InternalFailure', 'Receiver', String(e));
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const sameDims = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
  };

  return {
    url: `http://127.0.0.1:${port}`,
    datums,
    requests,
    accepted: () => accepted,
    setFaults: (r) => {
      rule = r;
    },
    reset: () => {
      datums.length = 0;
      requests.length = 0;
      accepted = 0;
      rule = null;
      for (const res of held) res.destroy();
      held.clear();
    },
    sum: (metricName, dims = {}) => {
      let total = 0;
      for (const d of datums) {
        if (d.metricName !== metricName || !sameDims(d.dimensions, dims)) continue;
        d.values.forEach((v, i) => {
          total += v * (d.counts[i] ?? 1);
        });
      }
      return total;
    },
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

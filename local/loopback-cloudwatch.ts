/**
 * A loopback implementation of the CloudWatch API on 127.0.0.1: PutMetricData as the SDK sends it, and the sums the
 * local view and the alarm evaluation read back. `npm start` publishes to it, and the integration tests point the
 * real handler's SDK client at it to see the datums exactly as CloudWatch would receive them (with injectable
 * faults: throttling, 5xx, held requests). One implementation, used by both.
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RESPONSE_CLASSES, type ResponseClass } from '../infra/alarm-rules.js';
import type { MinuteCounts } from '../infra/evaluate-alarms.js';
import { KPI_OUTCOMES, zeroClassCounts } from '../lambda/contract/index.js';
import { type KpiCounts, zeroCounts } from '../lambda/engine/kpis.js';
import { closeServer, LOOPBACK, listenOn } from './listen.js';

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
  /** A 400 validation error CloudWatch gives for a request that can never succeed (InvalidParameterValue by default). */
  | { readonly kind: 'invalid'; readonly error?: ValidationErrorName; readonly message?: string }
  /** A 403 AccessDenied: the SDK does not retry it, but it is not the data's fault (a policy can be fixed). */
  | { readonly kind: 'denied' }
  | { readonly kind: 'slow'; readonly ms: number }
  | { readonly kind: 'hang' };

/** The 400 validation errors of PutMetricData (API_PutMetricData, "Errors"). */
export type ValidationErrorName = 'InvalidParameterValue' | 'InvalidParameterCombination' | 'MissingParameter';

/** The parsed body of a PutMetricData request, as a fault rule sees it. */
export interface PutMetricDataBody {
  readonly Namespace?: unknown;
  readonly MetricData?: WireDatum[];
}

/** Decides per request (0-based index of all requests, accepted calls so far, its body) whether to inject a fault. */
export type FaultRule = (requestIndex: number, accepted: number, body: PutMetricDataBody) => Fault | null;

/** Responses by class, every class present. */
export type ClassTotals = Record<ResponseClass, number>;

/** Where and how the local CloudWatch listens and keeps its datums. */
export interface LoopbackCloudWatchOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** JSON Lines file of every accepted datum, read back at start; absent keeps datums in memory only. */
  readonly dataFile?: string;
  /** The command line option that sets the port, for the "port in use" message. */
  readonly portOption?: string;
}

/**
 * A loopback CloudWatch endpoint for PutMetricData, as the installed @aws-sdk/client-cloudwatch speaks it (AWS JSON
 * 1.0, gzip bodies). It keeps every accepted datum (in a JSON Lines file when given one) and answers the queries of
 * the local view; tests inject faults through it.
 */
export interface LoopbackCloudWatch {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** The JSON Lines file of accepted datums, when persistent. */
  readonly dataFile: string | undefined;
  /** Datums of every accepted call (including those read back from `dataFile`), in arrival order. */
  readonly datums: RecordedDatum[];
  /** Requests since start (not persisted). */
  readonly requests: RecordedRequest[];
  /** Accepted PutMetricData calls since start. */
  accepted(): number;
  setFaults(rule: FaultRule | null): void;
  /** Forgets every datum and request (and empties `dataFile` after the appends under way) and removes the fault rule. */
  reset(): void;
  /** Sum of Values[i] x Counts[i] over the datums of one metric whose dimensions equal `dims` exactly. */
  sum(metricName: string, dims?: Readonly<Record<string, string>>, namespace?: string): number;
  /**
   * `Responses` by `Class` per minute of datum time, oldest first: the series the spike alarms read; with `peer`,
   * `Responses` by `Class` and that `Peer`, the series of the peer's alarms.
   */
  responsesByMinute(namespace: string, peer?: string): MinuteCounts[];
  /** `Responses` by `Class` over every datum. */
  responsesByClass(namespace: string): ClassTotals;
  /** `Responses` by `Class` and `Peer` over every datum: peer -> class totals (empty without per-peer metrics). */
  responsesByPeer(namespace: string): Map<string, ClassTotals>;
  /** `InviteTransactions` in total and by Outcome, per minute of datum time, oldest first: the KPI alarms' series. */
  kpisByMinute(namespace: string): { readonly minuteStartMs: number; readonly counts: KpiCounts }[];
  /** Calls `listener` after each accepted call, once its datums are stored; returns the unsubscribe function. */
  onAccepted(listener: (datums: readonly RecordedDatum[]) => void): () => void;
  close(): Promise<void>;
}

/** The X-Amz-Target of PutMetricData: CloudWatch's Smithy service name (AWS JSON 1.0 protocol). */
export const PUT_METRIC_DATA_TARGET = 'GraniteServiceVersion20100801.PutMetricData';

/** Limits the real service enforces (API_PutMetricData); the server rejects what CloudWatch would reject. */
const LIMITS = { datums: 1000, bytes: 1024 * 1024, values: 150, dimensions: 30 } as const;
const MS_PER_HOUR = 3_600_000;
const MS_PER_MINUTE = 60_000;

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
const sendError = (
  res: ServerResponse,
  status: number,
  code: string,
  fault: 'Sender' | 'Receiver',
  msg: string,
): void => {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-query-error': `${code};${fault}`,
    'x-amzn-requestid': `local-${Date.now()}`,
  });
  res.end(JSON.stringify({ __type: `com.amazonaws.cloudwatch#${code}`, message: msg }));
};

const validate = (body: PutMetricDataBody, jsonBytes: number): string | null => {
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

const toRecorded = (namespace: string, d: WireDatum): RecordedDatum => {
  const values = Array.isArray(d.Values) ? (d.Values as number[]) : [Number(d.Value)];
  const counts = Array.isArray(d.Counts) ? (d.Counts as number[]) : values.map(() => 1);
  return {
    namespace,
    metricName: String(d.MetricName),
    dimensions: Object.fromEntries((d.Dimensions ?? []).map((x) => [String(x.Name), String(x.Value)])),
    timestampMs: Number(d.Timestamp) * 1000,
    unit: String(d.Unit ?? 'None'),
    values,
    counts,
  };
};

const isRecordedDatum = (v: unknown): v is RecordedDatum => {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return (
    typeof d.namespace === 'string' &&
    typeof d.metricName === 'string' &&
    typeof d.dimensions === 'object' &&
    d.dimensions !== null &&
    typeof d.timestampMs === 'number' &&
    Array.isArray(d.values) &&
    Array.isArray(d.counts)
  );
};

/** Datums of a JSON Lines file; a torn last line (the process died mid-write) is skipped, not fatal. */
const loadDatums = async (file: string): Promise<RecordedDatum[]> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: RecordedDatum[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (isRecordedDatum(parsed)) out.push(parsed);
    } catch {
      // only the last line can be torn: every earlier line was complete before the next append began
    }
  }
  return out;
};

const sameDims = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

const sumOf = (d: RecordedDatum): number => d.values.reduce((n, v, i) => n + v * (d.counts[i] ?? 1), 0);

const isResponseClass = (s: string | undefined): s is ResponseClass =>
  s !== undefined && (RESPONSE_CLASSES as readonly string[]).includes(s);

/** The class of a `Responses` datum by `Class` alone (the alarms' metric); null for totals and finer detail. */
/**
 * The class of a `Responses` datum by Class alone (peer undefined) or by Class and that Peer; null for any other
 * datum, so the per-class figures of all responses and of one peer never mix.
 */
const classOf = (d: RecordedDatum, namespace: string, peer?: string): ResponseClass | null => {
  if (d.namespace !== namespace || d.metricName !== 'Responses') return null;
  const keys = Object.keys(d.dimensions);
  const cls = d.dimensions.Class;
  if (!isResponseClass(cls)) return null;
  if (peer === undefined) return keys.length === 1 ? cls : null;
  return keys.length === 2 && d.dimensions.Peer === peer ? cls : null;
};

/** Starts the local CloudWatch on 127.0.0.1, reading back the datums of `dataFile` first. */
export const startLoopbackCloudWatch = async (options: LoopbackCloudWatchOptions = {}): Promise<LoopbackCloudWatch> => {
  const { dataFile } = options;
  const datums: RecordedDatum[] = dataFile === undefined ? [] : await loadDatums(dataFile);
  if (dataFile !== undefined) await mkdir(dirname(dataFile), { recursive: true });
  const requests: RecordedRequest[] = [];
  const listeners = new Set<(datums: readonly RecordedDatum[]) => void>();
  let accepted = 0;
  let rule: FaultRule | null = null;
  const held = new Set<ServerResponse>();
  // appends run one after another, so that lines of two concurrent calls never interleave
  let writes: Promise<void> = Promise.resolve();
  const persist = (batch: readonly RecordedDatum[]): Promise<void> => {
    if (dataFile === undefined) return Promise.resolve();
    const text = batch.map((d) => `${JSON.stringify(d)}\n`).join('');
    writes = writes.then(() => appendFile(dataFile, text));
    return writes;
  };

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
      const body = JSON.parse(json.toString('utf8')) as PutMetricDataBody;
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
        const name = fault.error ?? 'InvalidParameterValue';
        reply(400, () => sendError(res, 400, name, 'Sender', fault.message ?? 'injected non-retryable error'));
        return;
      }
      if (fault?.kind === 'denied') {
        reply(403, () => sendError(res, 403, 'AccessDenied', 'Sender', 'injected access denied'));
        return;
      }
      if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.ms));
      const problem = validate(body, json.length);
      if (problem !== null) {
        reply(400, () => sendError(res, 400, 'InvalidParameterValue', 'Sender', problem));
        return;
      }
      const batch = (body.MetricData ?? []).map((d) => toRecorded(String(body.Namespace), d));
      // stored before the 200: an acknowledged datum survives a crash, as the handler's ledger assumes
      await persist(batch);
      datums.push(...batch);
      accepted++;
      reply(200, () => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `local-${accepted}` });
        res.end('{}');
      });
      for (const listener of listeners) listener(batch);
    })().catch((e: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'InternalFailure', 'Receiver', String(e));
    });
  });
  server.keepAliveTimeout = 5000;
  const port = await listenOn(
    server,
    options.port ?? 0,
    'CloudWatch (local)',
    options.portOption ?? '--cloudwatch-port',
  );

  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    dataFile,
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
      if (dataFile !== undefined) writes = writes.then(() => writeFile(dataFile, ''));
    },
    sum: (metricName, dims = {}, namespace) => {
      let total = 0;
      for (const d of datums) {
        if (d.metricName !== metricName || !sameDims(d.dimensions, dims)) continue;
        if (namespace !== undefined && d.namespace !== namespace) continue;
        total += sumOf(d);
      }
      return total;
    },
    responsesByMinute: (namespace, peer) => {
      const minutes = new Map<number, Partial<Record<ResponseClass, number>>>();
      for (const d of datums) {
        const cls = classOf(d, namespace, peer);
        if (cls === null) continue;
        const n = sumOf(d);
        if (n === 0) continue;
        // datums are stamped per minute already; flooring again only guards against a foreign client's seconds
        const minute = Math.floor(d.timestampMs / MS_PER_MINUTE) * MS_PER_MINUTE;
        const counts = minutes.get(minute) ?? {};
        counts[cls] = (counts[cls] ?? 0) + n;
        minutes.set(minute, counts);
      }
      return [...minutes.entries()]
        .sort(([a], [b]) => a - b)
        .map(([minuteStartMs, counts]) => ({ minuteStartMs, counts }));
    },
    responsesByClass: (namespace) => {
      const totals = zeroClassCounts();
      for (const d of datums) {
        const cls = classOf(d, namespace);
        if (cls !== null) totals[cls] += sumOf(d);
      }
      return totals;
    },
    responsesByPeer: (namespace) => {
      const byPeer = new Map<string, ClassTotals>();
      for (const d of datums) {
        const peer = d.dimensions.Peer;
        if (peer === undefined) continue;
        const cls = classOf(d, namespace, peer);
        if (cls === null) continue;
        const totals = byPeer.get(peer) ?? zeroClassCounts();
        totals[cls] += sumOf(d);
        byPeer.set(peer, totals);
      }
      return byPeer;
    },
    kpisByMinute: (namespace) => {
      const minutes = new Map<number, KpiCounts>();
      for (const d of datums) {
        if (d.namespace !== namespace || d.metricName !== 'InviteTransactions') continue;
        const keys = Object.keys(d.dimensions);
        // the dimensionless total, or one Outcome numerator as the function names it
        const field =
          keys.length === 0
            ? 'inviteTransactions'
            : keys.length === 1 &&
                d.dimensions.Outcome !== undefined &&
                Object.hasOwn(KPI_OUTCOMES, d.dimensions.Outcome)
              ? KPI_OUTCOMES[d.dimensions.Outcome as keyof typeof KPI_OUTCOMES]
              : undefined;
        if (field === undefined) continue;
        const minute = Math.floor(d.timestampMs / MS_PER_MINUTE) * MS_PER_MINUTE;
        const c = minutes.get(minute) ?? zeroCounts();
        c[field] += sumOf(d);
        minutes.set(minute, c);
      }
      return [...minutes.entries()]
        .sort(([a], [b]) => a - b)
        .map(([minuteStartMs, counts]) => ({ minuteStartMs, counts }));
    },
    onAccepted: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {
      for (const res of held) res.destroy();
      held.clear();
      listeners.clear();
      await closeServer(server);
      await writes;
    },
  };
};

/**
 * The KPI work alone (issue 15): scans FILE once recording every KpiTracker.observe call (each message's identity
 * bytes copied out of the parser's reused buffer into large pooled buffers), then replays them into a fresh tally's
 * tracker ROUNDS times and prints the CPU time of `observe` and of the snapshot (`toData`) per round. On a shared machine the whole-scan ratio
 * (kpis-cost.bench.ts) moves by more than the KPIs cost; this isolates them. The first replay's snapshot is checked
 * byte for byte against the scan's.
 * Run: npm run build && node dist/bench/kpis-replay.bench.js FILE [ROUNDS]
 */
import { createReadStream } from 'node:fs';
import { scan } from '../lambda/engine/index.js';
import { KpiTracker, NO_PEER } from '../lambda/engine/kpis.js';
import { Tally } from '../lambda/engine/tally.js';
import type { MessageBytes, PayloadMeta, SipMessage } from '../lambda/engine/types.js';

const [file, rounds = '10'] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: node dist/bench/kpis-replay.bench.js FILE [ROUNDS]');

/**
 * Where the recorded identity bytes go: one large buffer after another, as a scan reads them from its one scanner
 * buffer (a buffer per message would make every message's bytes a new object to the code that reads them).
 */
const POOL_BYTES = 64 * 1024 * 1024;
let pool = Buffer.alloc(POOL_BYTES);
let pooled = 0;

/** The message with its identity bytes copied into the pool (the parser's buffer is reused for the next message). */
const detached = (msg: SipMessage): SipMessage => {
  const b = msg.bytes;
  if (b === undefined) return msg;
  const starts = [b.callIdStart, b.viaStart, b.branchStart, b.dateStart].filter((x) => x >= 0);
  const lo = Math.min(b.buf.length, ...starts);
  const hi = Math.max(lo, b.callIdEnd, b.viaEnd, b.branchEnd, b.dateEnd);
  if (pooled + hi - lo > pool.length) {
    pool = Buffer.alloc(Math.max(POOL_BYTES, hi - lo));
    pooled = 0;
  }
  b.buf.copy(pool, pooled, lo, hi);
  const at = (x: number): number => (x < 0 ? x : x - lo + pooled);
  const bytes: MessageBytes = {
    buf: pool,
    callIdStart: at(b.callIdStart),
    callIdEnd: at(b.callIdEnd),
    viaStart: at(b.viaStart),
    viaEnd: at(b.viaEnd),
    branchStart: at(b.branchStart),
    branchEnd: at(b.branchEnd),
    dateStart: at(b.dateStart),
    dateEnd: at(b.dateEnd),
  };
  pooled += hi - lo;
  return { ...msg, bytes };
};

const messages: SipMessage[] = [];
const metas: PayloadMeta[] = [];
/** The tally's peer index each call was given (Tally.lastPeer, or NO_PEER). */
const peers: number[] = [];
const observe = KpiTracker.prototype.observe;
KpiTracker.prototype.observe = function (this: KpiTracker, msg: SipMessage, meta: PayloadMeta, peer = NO_PEER): void {
  messages.push(detached(msg));
  // a copy: the counter refills one meta object for every timed message
  metas.push({ ...meta });
  peers.push(peer);
  observe.call(this, msg, meta, peer);
};
const scanned = await scan(createReadStream(file, { highWaterMark: 1 << 20 }), {});
KpiTracker.prototype.observe = observe;
const expected = JSON.stringify(scanned.kpis);

const ms = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e3;
process.stdout.write(`${messages.length} messages\n`);
for (let r = 0; r < Number(rounds); r++) {
  // the tally resolves each sender's peer itself first, as its addResponse does in a scan (not a KPI cost): filed
  // in the scan's order, every sender gets the index it had there
  const tally = new Tally();
  for (let i = 0; i < metas.length; i++) {
    if ((peers[i] ?? NO_PEER) === NO_PEER) continue;
    tally.addResponse(200, 'OPTIONS', false, undefined, metas[i]?.src);
    if (tally.lastPeer !== peers[i])
      throw new Error(`message ${i}: peer ${tally.lastPeer} in the replay, ${peers[i]} in the scan`);
  }
  const k = tally.kpis;
  const start = process.cpuUsage();
  for (let i = 0; i < messages.length; i++)
    k.observe(messages[i] as SipMessage, metas[i] as PayloadMeta, peers[i] ?? NO_PEER);
  const observed = process.cpuUsage(start);
  const data = k.toData();
  const total = process.cpuUsage(start);
  if (r === 0 && JSON.stringify(data) !== expected) throw new Error('the replayed KPIs differ from the scan’s');
  process.stdout.write(`observe ${ms(observed).toFixed(1)} ms, toData ${(ms(total) - ms(observed)).toFixed(1)} ms\n`);
}

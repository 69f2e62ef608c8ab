import { pathToFileURL } from 'node:url';
import { FileSink } from './file-sink.js';
import { finishGeneratedFile, type GroundTruth, TruthCounter } from './ground-truth.js';
import { Prng } from './prng.js';
import { type Endpoint, PROXY } from './sip-messages.js';
import { SipTraffic, type WireMessage } from './sip-traffic.js';
import { type Packet, Segmenter } from './tcp-segmenter.js';

/**
 * Writes the capture of the bench: a libpcap file (Ethernet, IPv4, UDP and TCP) of the same kind
 * of traffic as the text trace, as tcpdump on the proxy would record it. TCP connections open
 * with a three-way handshake, carry correct sequence and acknowledgement numbers, split and merge
 * messages across segments, and are acknowledged now and then by bare ACKs; every checksum is
 * right, so no reader has an excuse to drop a packet.
 */

/** Default seed of the capture (differs from the text trace's: other dialogs, other splits). */
export const CAPTURE_SEED = 3261;

/** Options of one capture. */
export interface CaptureOptions {
  readonly seed: number;
  readonly targetBytes: number;
  /** Sees every message written (for debugging a count mismatch). */
  readonly onMessage?: (m: WireMessage) => void;
}

const PCAP_MAGIC = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 262_144;
const ETH_BYTES = 14;
const IP_BYTES = 20;
const UDP_BYTES = 8;
const TCP_BYTES = 20;
const RECORD_BYTES = 16;
const BUFFER_BYTES = 8 * 1024 * 1024;
const TCP_FLAGS = { syn: 0x02, synAck: 0x12, ack: 0x10, pshAck: 0x18 } as const;

/** Ones' complement sum of 16-bit big-endian words (RFC 1071), not yet folded. */
const sum16 = (buf: Buffer, start: number, end: number, acc: number): number => {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += (buf[i] as number) * 256 + (buf[i + 1] as number);
  if (i < end) s += (buf[i] as number) * 256;
  return s;
};

const fold = (acc: number): number => {
  let s = acc;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
};

interface TcpConnection {
  /** Next sequence number of each side (RFC 9293 SND.NXT), by "ip:port". */
  readonly next: Map<string, number>;
}

/** Builds pcap records into large buffers; the caller writes them out with back-pressure. */
class PcapWriter {
  bytes = 0;
  private buf = Buffer.allocUnsafe(BUFFER_BYTES);
  private off = 0;
  private readonly full: Buffer[] = [];
  private readonly ipBytes = new Map<string, readonly number[]>();
  private readonly connections = new Map<string, TcpConnection>();
  private ipId = 0;
  private lastUs = 0;

  constructor(private readonly rng: Prng) {
    const h = this.reserve(24);
    this.buf.writeUInt32LE(PCAP_MAGIC, h);
    this.buf.writeUInt16LE(2, h + 4);
    this.buf.writeUInt16LE(4, h + 6);
    this.buf.writeInt32LE(0, h + 8);
    this.buf.writeUInt32LE(0, h + 12);
    this.buf.writeUInt32LE(SNAPLEN, h + 16);
    this.buf.writeUInt32LE(LINKTYPE_ETHERNET, h + 20);
  }

  /** Whether buffers are waiting to be written. */
  get hasFull(): boolean {
    return this.full.length > 0;
  }

  /** Hands the filled buffers (and with `all`, the current one) to `sink`. */
  async writeTo(sink: FileSink, all = false): Promise<void> {
    if (all && this.off > 0) {
      this.full.push(this.buf.subarray(0, this.off));
      this.buf = Buffer.allocUnsafe(BUFFER_BYTES);
      this.off = 0;
    }
    for (let b = this.full.shift(); b !== undefined; b = this.full.shift()) await sink.bytesOut(b);
  }

  /** Records one packet, preceded by the TCP handshake when it opens a connection. */
  packet(p: Packet): void {
    if (p.transport === 'udp') {
      this.frame(p.timeUs, p.src, p.dst, 17, p.payload, 0, 0, 0);
      return;
    }
    // the user agent opened the connection to the proxy's 5060
    const client = p.src.ip === PROXY.ip ? p.dst : p.src;
    const server = client === p.src ? p.dst : p.src;
    const key = `${client.ip}:${client.port}>${server.ip}:${server.port}`;
    let conn = this.connections.get(key);
    const ck = `${client.ip}:${client.port}`;
    const sk = `${server.ip}:${server.port}`;
    if (conn === undefined) {
      const isnC = this.rng.u32();
      const isnS = this.rng.u32();
      const t = p.timeUs - 300;
      this.frame(t, client, server, 6, '', isnC, 0, TCP_FLAGS.syn);
      this.frame(t + 100, server, client, 6, '', isnS, (isnC + 1) >>> 0, TCP_FLAGS.synAck);
      this.frame(t + 200, client, server, 6, '', (isnC + 1) >>> 0, (isnS + 1) >>> 0, TCP_FLAGS.ack);
      conn = {
        next: new Map([
          [ck, (isnC + 1) >>> 0],
          [sk, (isnS + 1) >>> 0],
        ]),
      };
      this.connections.set(key, conn);
    }
    const from = `${p.src.ip}:${p.src.port}`;
    const to = from === ck ? sk : ck;
    const seq = conn.next.get(from) ?? 0;
    const ack = conn.next.get(to) ?? 0;
    this.frame(p.timeUs, p.src, p.dst, 6, p.payload, seq, ack, p.push ? TCP_FLAGS.pshAck : TCP_FLAGS.ack);
    const nextSeq = (seq + p.payload.length) >>> 0;
    conn.next.set(from, nextSeq);
    if (p.push && this.rng.chance(0.3)) this.frame(p.timeUs + 40, p.dst, p.src, 6, '', ack, nextSeq, TCP_FLAGS.ack);
  }

  private reserve(n: number): number {
    if (this.off + n > this.buf.length) {
      this.full.push(this.buf.subarray(0, this.off));
      this.buf = Buffer.allocUnsafe(Math.max(BUFFER_BYTES, n));
      this.off = 0;
    }
    const at = this.off;
    this.off += n;
    this.bytes += n;
    return at;
  }

  private ip(s: string): readonly number[] {
    let b = this.ipBytes.get(s);
    if (b === undefined) {
      b = s.split('.').map(Number);
      this.ipBytes.set(s, b);
    }
    return b;
  }

  /** Writes record header, Ethernet, IPv4, UDP or TCP header and payload, with every checksum. */
  private frame(
    timeUs: number,
    src: Endpoint,
    dst: Endpoint,
    proto: 6 | 17,
    payload: string,
    seq: number,
    ack: number,
    flags: number,
  ): void {
    const l4 = proto === 6 ? TCP_BYTES : UDP_BYTES;
    const ipLen = IP_BYTES + l4 + payload.length;
    const frameLen = ETH_BYTES + ipLen;
    const at = this.reserve(RECORD_BYTES + frameLen);
    const buf = this.buf;
    // capture times never run backwards, even where a handshake is slotted in before a packet
    const us = Math.max(timeUs, this.lastUs);
    this.lastUs = us;
    buf.writeUInt32LE(Math.floor(us / 1_000_000), at);
    buf.writeUInt32LE(us % 1_000_000, at + 4);
    buf.writeUInt32LE(frameLen, at + 8);
    buf.writeUInt32LE(frameLen, at + 12);
    const sIp = this.ip(src.ip);
    const dIp = this.ip(dst.ip);
    // Ethernet: locally administered MACs derived from the IP addresses
    const e = at + RECORD_BYTES;
    buf[e] = 0x02;
    buf[e + 1] = 0;
    for (let i = 0; i < 4; i++) buf[e + 2 + i] = dIp[i] ?? 0;
    buf[e + 6] = 0x02;
    buf[e + 7] = 0;
    for (let i = 0; i < 4; i++) buf[e + 8 + i] = sIp[i] ?? 0;
    buf.writeUInt16BE(0x0800, e + 12);
    // IPv4 (RFC 791), DF set as Linux does
    const ip = e + ETH_BYTES;
    buf[ip] = 0x45;
    buf[ip + 1] = 0;
    buf.writeUInt16BE(ipLen, ip + 2);
    this.ipId = (this.ipId + 1) & 0xffff;
    buf.writeUInt16BE(this.ipId, ip + 4);
    buf.writeUInt16BE(0x4000, ip + 6);
    buf[ip + 8] = 64;
    buf[ip + 9] = proto;
    buf.writeUInt16BE(0, ip + 10);
    for (let i = 0; i < 4; i++) {
      buf[ip + 12 + i] = sIp[i] ?? 0;
      buf[ip + 16 + i] = dIp[i] ?? 0;
    }
    buf.writeUInt16BE(fold(sum16(buf, ip, ip + IP_BYTES, 0)), ip + 10);
    const l = ip + IP_BYTES;
    const l4Len = l4 + payload.length;
    buf.write(payload, l + l4, 'latin1');
    buf.writeUInt16BE(src.port, l);
    buf.writeUInt16BE(dst.port, l + 2);
    let csumAt: number;
    if (proto === 17) {
      buf.writeUInt16BE(l4Len, l + 4);
      buf.writeUInt16BE(0, l + 6);
      csumAt = l + 6;
    } else {
      buf.writeUInt32BE(seq >>> 0, l + 4);
      buf.writeUInt32BE(ack >>> 0, l + 8);
      buf[l + 12] = (TCP_BYTES / 4) << 4;
      buf[l + 13] = flags;
      buf.writeUInt16BE(64240, l + 14);
      buf.writeUInt16BE(0, l + 16);
      buf.writeUInt16BE(0, l + 18);
      csumAt = l + 16;
    }
    // pseudo-header (RFC 768, RFC 9293 §3.1): addresses, protocol, length
    let acc = sum16(buf, ip + 12, ip + 20, proto + l4Len);
    acc = sum16(buf, l, l + l4Len, acc);
    const csum = fold(acc);
    buf.writeUInt16BE(proto === 17 && csum === 0 ? 0xffff : csum, csumAt);
  }
}

/** Writes a capture of at least `targetBytes` to `path` (via a temporary file) and its truth beside it. */
export const generateCapture = async (path: string, opts: CaptureOptions): Promise<GroundTruth> => {
  const started = performance.now();
  const rng = new Prng(opts.seed ^ 0x9cab);
  const traffic = new SipTraffic(opts.seed);
  const truth = new TruthCounter();
  const tmp = `${path}.tmp`;
  const sink = new FileSink(tmp);
  const writer = new PcapWriter(rng.fork());
  const segmenter = new Segmenter(rng.fork(), (p) => writer.packet(p));
  let draining = false;
  for (let m = traffic.next(); m !== null; m = traffic.next()) {
    truth.add(m);
    opts.onMessage?.(m);
    segmenter.push(m);
    if (writer.hasFull) await writer.writeTo(sink);
    if (!draining && writer.bytes >= opts.targetBytes) {
      // let the dialogs in progress end, so the capture holds no half transactions
      traffic.drain();
      draining = true;
    }
  }
  segmenter.flush();
  await writer.writeTo(sink, true);
  return finishGeneratedFile(sink, tmp, path, truth, {
    seed: opts.seed,
    targetBytes: opts.targetBytes,
    startedMs: started,
    tcp: { ...segmenter.stats },
  });
};

// `node dist/bench/generate-capture.js OUT [MiB]`
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [out, mib = '50'] = process.argv.slice(2);
  if (out === undefined) {
    console.error('usage: node dist/bench/generate-capture.js OUT [MiB]');
    process.exit(2);
  }
  console.log(
    JSON.stringify(await generateCapture(out, { seed: CAPTURE_SEED, targetBytes: Number(mib) * 1024 * 1024 }), null, 1),
  );
}

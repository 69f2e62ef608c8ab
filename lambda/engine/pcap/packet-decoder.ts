import type { LogStamp } from '../log-stamp.js';
import type { MessageCounter } from '../message-counter.js';
import { payloadMeta } from '../payload-meta.js';
import type { FramerEvents, SipFramer } from '../sip-framer.js';
import type { Tally } from '../tally.js';
import type { PayloadMeta } from '../types.js';
import { HepReader, mayStartHep } from './hep.js';
import { quotedMessageEvents, quotedPacketStart } from './icmp.js';
import {
  decodeIpv4,
  decodeIpv6,
  IP_PROTOCOL,
  type IpDecode,
  type IpPacket,
  newIpPacket,
  walkIpv6Extensions,
} from './ip.js';
import { FragmentReassembler } from './ip-fragments.js';
import { findNetworkLayer, isSupportedLinkType, type NetworkLayer } from './link-layer.js';
import { PacketNames } from './packet-names.js';
import type { CaptureInterface, PacketSink } from './packet-sink.js';
import { SCTP_COMMON_HEADER_BYTES, SCTP_PROTOCOL, SctpReader } from './sctp.js';
import { classifyDatagram, countFirstSipMessage } from './sip-datagram.js';
import { StreamDemux } from './stream-demux.js';
import { decodeTcp, newTcpSegment, TCP_FLAG, TcpReassembler } from './tcp-reassembly.js';
import { gre, ipInIp, isTunnelPort, MAX_TUNNEL_DEPTH, TUNNEL_PROTOCOL, udpTunnel } from './tunnels.js';
import { decodeUdp, newUdpDatagram } from './udp.js';

/** What a capture held, beyond the SIP counts; for tests and diagnostics. */
export interface CaptureStats {
  packets: number;
  /** Frames without an IP packet (ARP, LLDP, STP, ...): skipped, and no anomaly, as they are normal. */
  nonIpPackets: number;
  udpDatagrams: number;
  tcpSegments: number;
  /** IP datagrams rebuilt from fragments. */
  reassembledDatagrams: number;
  /** UDP datagrams quoted in ICMP errors that started with SIP. */
  quotedSipDatagrams: number;
  /** Packets found inside a tunnel (IP-in-IP, GRE, ERSPAN, VXLAN, Geneve), at any depth. */
  tunneledPackets: number;
}

const CONTROL_FLAGS = TCP_FLAG.SYN | TCP_FLAG.FIN | TCP_FLAG.RST;

/**
 * Decodes each captured frame down to its UDP or TCP payload: link layer, IPv4/IPv6 (with
 * fragment reassembly), then TCP streams (reassembled per direction, handed to the framer), UDP
 * datagrams and UDP datagrams quoted in ICMP errors. SIP is recognised by content on any port.
 * Datagrams do not go through framer.datagram(), which frames every message of a payload: tshark
 * counts only the first (sip-datagram.ts), and parsing it once here halves the cost per datagram.
 */
export class PacketDecoder implements PacketSink {
  readonly stats: CaptureStats = {
    packets: 0,
    nonIpPackets: 0,
    udpDatagrams: 0,
    tcpSegments: 0,
    reassembledDatagrams: 0,
    quotedSipDatagrams: 0,
    tunneledPackets: 0,
  };
  private readonly net: NetworkLayer = { kind: 'other', start: 0 };
  private readonly ip = newIpPacket();
  private readonly quotedIp = newIpPacket();
  private readonly udp = newUdpDatagram();
  private readonly tcp = newTcpSegment();
  private readonly names = new PacketNames();
  private readonly fragments: FragmentReassembler;
  private readonly streams: TcpReassembler;
  private readonly sctp: SctpReader;
  private readonly hep: HepReader;
  /** UDP messages, counted one per datagram (see sip-datagram.ts), with their own retransmission state. */
  private readonly datagramEvents: FramerEvents;
  private readonly quotedEvents: FramerEvents;
  /** The current frame was cut by the capture's snaplen: cut headers are expected, not malformed. */
  private frameCut = false;
  /** The current packet's time as a text dump printed it (no instant): the message counter's clock places it. */
  private stamp: LogStamp | undefined;

  /**
   * @param fileCounter a text log's counter, when the packets are its hex dumps: their datagrams are its messages, whose
   *   printed times its clock places (a capture's packets carry instants, and its datagrams a counter of their own)
   */
  constructor(
    private readonly framer: SipFramer,
    private readonly tally: Tally,
    fileCounter?: MessageCounter,
  ) {
    this.fragments = new FragmentReassembler(tally);
    this.hep = new HepReader(tally);
    // WebSocket and HEP on TCP are told apart from SIP per direction before the framer
    this.streams = new TcpReassembler(new StreamDemux(framer, tally, this.hep, fileCounter?.clock), tally);
    // Retransmissions are only ever detected over UDP (message-counter.ts), so UDP having its own
    // counter and TCP going through the framer's changes no count.
    this.datagramEvents = fileCounter ?? tally.counter();
    // SIP over SCTP is never a retransmission either (reliable transport): any counter will do
    this.sctp = new SctpReader(this.datagramEvents);
    this.quotedEvents = quotedMessageEvents(tally, fileCounter?.clock);
  }

  packet(
    iface: CaptureInterface,
    buf: Buffer,
    start: number,
    end: number,
    originalLength: number,
    timeMs: number | undefined,
    stamp?: LogStamp,
  ): void {
    this.stats.packets++;
    this.stamp = timeMs === undefined ? stamp : undefined;
    this.frameCut = originalLength > end - start;
    if (this.frameCut) this.tally.anomaly('truncated-capture');
    if (!isSupportedLinkType(iface.linkType)) {
      if (!iface.unsupportedReported) {
        iface.unsupportedReported = true;
        this.tally.anomaly('unsupported-link-type');
      }
      return;
    }
    const net = this.net;
    findNetworkLayer(iface.linkType, buf, start, end, net);
    if (net.kind === 'other') {
      this.stats.nonIpPackets++;
      return;
    }
    this.network(buf, end, timeMs, 0);
  }

  /**
   * The IP packet that `this.net` points at, in a frame or (depth > 0) inside a tunnel. The reused
   * header objects are safe to overwrite in a nested call: the outer packet reads nothing after it.
   */
  private network(buf: Buffer, end: number, timeMs: number | undefined, depth: number): void {
    const net = this.net;
    const ip = this.ip;
    let r: IpDecode;
    if (net.kind === 'ipv4') r = decodeIpv4(buf, net.start, end, ip);
    else if (net.kind === 'ipv6') r = decodeIpv6(buf, net.start, end, ip);
    else return;
    if (r !== 'ok') {
      this.broken();
      return;
    }
    // the IP header announces more than the frame holds, yet the capture did not cut it
    if (ip.truncated && !this.frameCut) this.tally.anomaly('malformed-packet');

    // a cut fragment cannot complete its datagram (it is counted as incomplete), but tshark dissects a cut first
    // IPv4 fragment on its own (packet-ip.c: "if this is the first fragment, dissect its contents"), so its status
    // line counts, as a datagram the snaplen cut; it does not do so for IPv6
    const cutFirstV4 = ip.truncated && ip.version === 4 && ip.fragmentOffset === 0;
    if (!ip.isFragment || cutFirstV4) {
      this.transport(ip, buf, ip.protocol, buf, ip.payloadStart, ip.payloadEnd, ip.declaredPayloadEnd, timeMs, depth);
      return;
    }
    if (ip.truncated) return;
    const key =
      ip.version === 4
        ? `4 ${buf.readUInt32BE(ip.addressOffset)} ${buf.readUInt32BE(ip.addressOffset + 4)} ${ip.protocol} ${ip.fragmentId}`
        : `6 ${buf.toString('latin1', ip.addressOffset, ip.addressOffset + 32)} ${ip.fragmentId}`;
    const whole = this.fragments.add(
      key,
      ip.fragmentOffset,
      ip.moreFragments,
      ip.protocol,
      buf,
      ip.payloadStart,
      ip.payloadEnd,
      timeMs,
    );
    if (whole === null) return;
    this.stats.reassembledDatagrams++;
    const payload = whole.payload;
    let protocol = whole.protocol;
    let payloadStart = 0;
    if (ip.version === 6) {
      // headers after the Fragment header belong to the reassembled part (RFC 8200 §4.5)
      ip.payloadEnd = payload.length;
      ip.truncated = false;
      ip.isFragment = false;
      if (walkIpv6Extensions(payload, 0, protocol, ip) !== 'ok' || ip.isFragment) {
        this.broken();
        return;
      }
      protocol = ip.protocol;
      payloadStart = ip.payloadStart;
    }
    this.transport(ip, buf, protocol, payload, payloadStart, payload.length, payload.length, timeMs, depth);
  }

  /**
   * Whether the decoder holds nothing across packets (no TCP or SCTP direction tracked, no fragments waiting): a
   * decoder made afresh from here on would read the rest the same (a growing log's resume point, text-scanner.ts).
   */
  get holdsNothing(): boolean {
    return (
      this.streams.trackedDirections === 0 && this.sctp.trackedDirections === 0 && this.fragments.openDatagrams === 0
    );
  }

  /** End of capture: flush TCP streams and the framer; count datagrams still missing fragments. */
  end(): void {
    this.streams.end();
    this.sctp.end();
    this.fragments.end();
    this.framer.end();
  }

  /** A header that does not fit: expected in a frame the capture cut, malformed otherwise. */
  private broken(): void {
    if (!this.frameCut) this.tally.anomaly('malformed-packet');
  }

  /**
   * The upper layer of an IP packet. Addresses are read from `addrBuf` at `ip.addressOffset`;
   * the payload [start, end) may lie in another buffer (a reassembled datagram).
   */
  private transport(
    ip: IpPacket,
    addrBuf: Buffer,
    protocol: number,
    buf: Buffer,
    start: number,
    end: number,
    declaredEnd: number,
    timeMs: number | undefined,
    depth: number,
  ): void {
    switch (protocol) {
      case IP_PROTOCOL.UDP:
        this.udpDatagram(ip, addrBuf, buf, start, end, timeMs, depth);
        return;
      case TUNNEL_PROTOCOL.IPV4_IN_IP:
      case TUNNEL_PROTOCOL.IPV6_IN_IP:
        ipInIp(protocol, start, this.net);
        this.inner(buf, end, timeMs, depth);
        return;
      case TUNNEL_PROTOCOL.GRE:
        gre(buf, start, end, this.net);
        this.inner(buf, end, timeMs, depth);
        return;
      case IP_PROTOCOL.TCP:
        this.tcpSegment(ip, addrBuf, buf, start, end, declaredEnd, timeMs);
        return;
      case SCTP_PROTOCOL:
        this.sctpPacket(ip, addrBuf, buf, start, end, timeMs);
        return;
      case IP_PROTOCOL.ICMP:
        if (ip.version === 4) this.icmpError(4, buf, start, end, timeMs);
        return;
      case IP_PROTOCOL.ICMPV6:
        if (ip.version === 6) this.icmpError(6, buf, start, end, timeMs);
        return;
      default:
        return;
    }
  }

  /** The packet a tunnel carried (found in `this.net`), decoded like a captured one. */
  private inner(buf: Buffer, end: number, timeMs: number | undefined, depth: number): void {
    if (this.net.kind === 'other') return;
    if (depth >= MAX_TUNNEL_DEPTH) {
      this.broken();
      return;
    }
    this.stats.tunneledPackets++;
    this.network(buf, end, timeMs, depth + 1);
  }

  private udpDatagram(
    ip: IpPacket,
    addrBuf: Buffer,
    buf: Buffer,
    start: number,
    end: number,
    timeMs: number | undefined,
    depth: number,
  ): void {
    const udp = this.udp;
    if (!decodeUdp(buf, start, end, udp)) {
      this.broken();
      return;
    }
    this.stats.udpDatagrams++;
    if (isTunnelPort(udp.dstPort)) {
      udpTunnel(udp.dstPort, buf, udp.payloadStart, udp.payloadEnd, this.net);
      if (this.net.kind !== 'other') {
        this.inner(buf, udp.payloadEnd, timeMs, depth);
        return;
      }
    }
    const verdict = classifyDatagram(buf, udp.payloadStart, udp.payloadEnd);
    if (verdict === 'other' && mayStartHep(buf[udp.payloadStart])) {
      const outer = (): PayloadMeta => this.meta(ip, addrBuf, udp.srcPort, udp.dstPort, timeMs, 'udp');
      if (this.hep.datagram(buf, udp.payloadStart, udp.payloadEnd, outer)) return;
    }
    if (verdict !== 'sip') {
      // RTP and other non-SIP datagrams cost this much: no address string, no parse
      if (verdict === 'other') this.tally.unrecognizedBytes += udp.payloadEnd - udp.payloadStart;
      return;
    }
    const meta = this.meta(ip, addrBuf, udp.srcPort, udp.dstPort, timeMs, 'udp');
    countFirstSipMessage(this.datagramEvents, buf, udp.payloadStart, udp.payloadEnd, meta);
  }

  private tcpSegment(
    ip: IpPacket,
    addrBuf: Buffer,
    buf: Buffer,
    start: number,
    end: number,
    declaredEnd: number,
    timeMs: number | undefined,
  ): void {
    const tcp = this.tcp;
    if (!decodeTcp(buf, start, end, tcp)) {
      this.broken();
      return;
    }
    this.stats.tcpSegments++;
    // a segment the snaplen cut goes on in the stream as far as its IP header says (the rest is a cut, not a gap);
    // one whose record was not cut but whose IP header announces more (sipgrep -O writes each record 14 bytes short)
    // is the bytes it holds, as tshark clips a segment to its frame: the next segment then follows a gap
    const length = Math.max(0, (this.frameCut ? declaredEnd : end) - tcp.payloadStart);
    // a pure ACK moves no stream data: skip it before building any string
    if (length === 0 && (tcp.flags & CONTROL_FLAGS) === 0) return;
    const meta = this.meta(ip, addrBuf, tcp.srcPort, tcp.dstPort, timeMs, 'tcp');
    this.streams.segment(this.names.flow(), tcp.seq, tcp.flags, buf, tcp.payloadStart, end, length, meta);
  }

  /** SIP over SCTP (RFC 4168), on any port. */
  private sctpPacket(
    ip: IpPacket,
    addrBuf: Buffer,
    buf: Buffer,
    start: number,
    end: number,
    timeMs: number | undefined,
  ): void {
    if (end - start < SCTP_COMMON_HEADER_BYTES) {
      this.broken();
      return;
    }
    const meta = this.meta(ip, addrBuf, buf.readUInt16BE(start), buf.readUInt16BE(start + 2), timeMs, 'sctp');
    if (!this.sctp.packet(this.names.flow(), buf, start, end, meta)) this.broken();
  }

  /** SIP in a UDP datagram quoted by an ICMP error (see quotedMessageEvents for what tshark does). */
  private icmpError(version: 4 | 6, buf: Buffer, start: number, end: number, timeMs: number | undefined): void {
    const q = quotedPacketStart(version, buf, start, end);
    if (q < 0) return;
    const quoted = this.quotedIp;
    const r = version === 4 ? decodeIpv4(buf, q, end, quoted) : decodeIpv6(buf, q, end, quoted);
    // only a first fragment holds the UDP header
    if (r !== 'ok' || quoted.protocol !== IP_PROTOCOL.UDP || quoted.fragmentOffset !== 0) return;
    const udp = this.udp;
    if (!decodeUdp(buf, quoted.payloadStart, quoted.payloadEnd, udp)) return;
    if (classifyDatagram(buf, udp.payloadStart, udp.payloadEnd) !== 'sip') return;
    this.stats.quotedSipDatagrams++;
    const meta = this.meta(quoted, buf, udp.srcPort, udp.dstPort, timeMs, 'udp');
    countFirstSipMessage(this.quotedEvents, buf, udp.payloadStart, udp.payloadEnd, meta);
  }

  private meta(
    ip: IpPacket,
    addrBuf: Buffer,
    srcPort: number,
    dstPort: number,
    timeMs: number | undefined,
    transport: 'udp' | 'tcp' | 'sctp',
  ): PayloadMeta {
    // also leaves the packet's direction in this.names.flow() for the stream tables
    const names = this.names;
    if (ip.version === 4) names.ipv4(addrBuf, ip.addressOffset, srcPort, dstPort);
    else names.ipv6(addrBuf, ip.addressOffset, srcPort, dstPort);
    return payloadMeta(transport, names.src, names.dst, timeMs, this.stamp, names.srcId, names.dstId);
  }
}

import type { LogStamp } from '../log-stamp.js';

/** The seam between the capture-file readers (pcap, pcapng) and the protocol decoders. */

/** One capture interface: a pcap file has one, a pcapng section one per Interface Description Block. */
export interface CaptureInterface {
  /** LINKTYPE_* value (https://www.tcpdump.org/linktypes.html). */
  readonly linkType: number;
  /** Set once an unsupported link type has been counted, so that it counts once per interface. */
  unsupportedReported: boolean;
}

/** Where the file readers hand each captured packet. */
export interface PacketSink {
  /**
   * One packet: captured bytes [start, end) of `buf` (valid only during the call), the length it
   * had on the wire, and its time in ms since the epoch (undefined when the record carries none; a text dump
   * may give the time as it printed it instead, for the file's clock to place).
   */
  packet(
    iface: CaptureInterface,
    buf: Buffer,
    start: number,
    end: number,
    originalLength: number,
    timeMs: number | undefined,
    stamp?: LogStamp,
  ): void;
}

/** Largest record accepted: far above any real packet (tcpdump's default snaplen is 262144). */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

import type { SipFramer } from '../sip-framer.js';
import type { Tally } from '../tally.js';

/** Push parser over a packet capture: feed it bytes in any chunking, then end(). */
export interface CaptureReader {
  feed(chunk: Buffer): void;
  end(): void;
}

/** Placeholder until capture parsing lands: refuses clearly instead of guessing counts. */
export const createCaptureReader = (format: 'pcap' | 'pcapng', _framer: SipFramer, _tally: Tally): CaptureReader => {
  throw new Error(`${format} input is not supported yet`);
};

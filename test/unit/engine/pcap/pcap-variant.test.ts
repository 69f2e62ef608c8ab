import { describe, expect, it } from 'vitest';
import { guessPcapVariant, type PcapVariant } from '../../../../lambda/engine/pcap/pcap-variant.js';
import { readFixture, scanWhole } from '../../../support/collect.js';
import { ethernet, pcapFile, readCapture, udpPacket } from '../../../support/pcap-builder.js';
import { response } from '../../../support/sip-samples.js';
import { swapPcapByteOrder, toIxiaLcap } from '../../../support/swap-pcap-byte-order.js';

/** tshark's reading of every variant-*.pcap (the same 40 frames; make-pcap-variants.sh checks they agree). */
interface TsharkTruth {
  readonly responses: readonly { readonly frame: number; readonly statusCode: number; readonly method: string }[];
}

const truth = JSON.parse(readFixture('pcap/pcap-variants.tshark.json').toString('utf8')) as TsharkTruth;

/** tshark's responses as our byMethod: method -> status code -> count. */
const tsharkByMethod = (): Record<string, Record<string, number>> => {
  const byMethod: Record<string, Record<string, number>> = {};
  for (const r of truth.responses) {
    const codes = byMethod[r.method] ?? {};
    codes[String(r.statusCode)] = (codes[String(r.statusCode)] ?? 0) + 1;
    byMethod[r.method] = codes;
  }
  return byMethod;
};

/** editcap -F type, the variant wiretap reads it as, its record header bytes. */
const VARIANTS: readonly (readonly [string, PcapVariant, number])[] = [
  ['nsecpcap', 'nsec', 16],
  ['modpcap', 'ss991029', 24],
  ['rh6_1pcap', 'ss990417', 24],
  ['suse6_3pcap', 'ss990915', 28],
  ['nokiapcap', 'nokia', 20],
];

describe('libpcap variants', () => {
  for (const [type, variant, headerBytes] of VARIANTS) {
    for (const bigEndian of [false, true]) {
      const order = bigEndian ? 'big' : 'little';
      const file = (): Buffer => {
        const le = readFixture(`pcap/variant-${type}.pcap`);
        return bigEndian ? swapPcapByteOrder(le, headerBytes) : le;
      };

      it(`counts editcap -F ${type} (${order}-endian) as tshark does`, () => {
        // Act
        const { result } = readCapture(file());

        // Assess: 20 responses in 40 frames
        expect(truth.responses.length).toBe(20);
        expect([result.byMethod, result.responses, result.anomalies]).toEqual([tsharkByMethod(), 20, {}]);
      });

      it(`tells editcap -F ${type} (${order}-endian) apart as wiretap does, at every chunk size`, () => {
        // Prepare
        const bytes = file();

        // Act
        const guessed = guessPcapVariant(bytes, true);
        const seen = [1, 7, 333, 4096].map((size) => readCapture(bytes, size).result.byMethod);

        // Assess
        expect(guessed).toBe(variant);
        expect(seen).toEqual([1, 2, 3, 4].map(() => tsharkByMethod()));
      });
    }
  }

  for (const hardware of [false, true]) {
    for (const bigEndian of [false, true]) {
      it(`counts Ixia's lcap (${hardware ? 'hardware' : 'software'}, ${bigEndian ? 'big' : 'little'}-endian) as tshark does, at every chunk size`, async () => {
        // Prepare: the nanosecond fixture's records behind an lcap file header (make-pcap-variants.sh checks tshark)
        const nsec = readFixture('pcap/variant-nsecpcap.pcap');
        const file = toIxiaLcap(bigEndian ? swapPcapByteOrder(nsec, 16) : nsec, hardware);

        // Act
        const seen = [1, 7, 333, file.length].map((size) => readCapture(file, size).result);
        const scanned = await scanWhole(file);

        // Assess: before, it was read as text, and 82 of mixed.pcap's 1,834 responses showed through with no error
        expect(guessPcapVariant(file, false)).toBe(hardware ? 'ixia-hw' : 'ixia-sw');
        for (const result of [...seen, scanned]) {
          expect([result.byMethod, result.anomalies]).toEqual([tsharkByMethod(), {}]);
        }
      });
    }
  }

  it('waits for the second record header before it tells, and guesses plain pcap for a file that ends first', () => {
    // Prepare: a standard-magic file of one record, and the rh6_1pcap fixture cut inside its second record header
    const one = pcapFile([{ data: ethernet(udpPacket('192.0.2.1', '192.0.2.2', 5060, 5060, response(200, 'OK'))) }]);
    const rh61 = readFixture('pcap/variant-rh6_1pcap.pcap');
    const firstCapLen = rh61.readUInt32LE(24 + 8);
    const cut = rh61.subarray(0, 24 + 24 + firstCapLen + 10);

    // Act / Assess: wiretap scores a header the file ends in as a short read, 0, so the first variant tried wins
    expect(guessPcapVariant(one, false)).toBeUndefined();
    expect(guessPcapVariant(one, true)).toBe('pcap');
    expect(guessPcapVariant(cut, false)).toBeUndefined();
    expect(guessPcapVariant(rh61.subarray(0, cut.length + 14), false)).toBe('ss990417');
  });

  it('keeps the standard layout when the first two records read right as plain pcap', () => {
    // Prepare: a plain capture of three records
    const packet = ethernet(udpPacket('192.0.2.1', '192.0.2.2', 5060, 5060, response(486, 'Busy Here')));
    const file = pcapFile([{ data: packet }, { data: packet }, { data: packet }]);

    // Act / Assess
    expect(guessPcapVariant(file, false)).toBe('pcap');
    expect(readCapture(file, 5).result.byCode).toEqual({ '486': 3 });
  });
});

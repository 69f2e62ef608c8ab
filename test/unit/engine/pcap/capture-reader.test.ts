import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../../lambda/engine/index.js';
import { LINKTYPE } from '../../../../lambda/engine/pcap/link-layer.js';
import { chunked, readFixture } from '../../../support/collect.js';
import {
  cutInto,
  ethernet,
  FLAGS,
  ipv4Fragments,
  pcapFile,
  pcapngSection,
  readCapture,
  readCaptureParts,
  sll2,
  tcpPacket,
  udp,
  udpPacket,
} from '../../../support/pcap-builder.js';
import { invite, response } from '../../../support/sip-samples.js';

const SEED = 20_240_601;
const A = '192.0.2.1';
const B = '192.0.2.2';

/** A pcapng mixing what the reader has to put together: TCP split and out of order, fragments, two interfaces. */
const mixed = (): Buffer => {
  const inv = invite();
  const half = 150;
  const fragments = ipv4Fragments(A, B, 17, udp(A, B, 5060, 5060, inv), 256);
  return pcapngSection(
    [{ linkType: LINKTYPE.ETHERNET, tsresol: 9 }, { linkType: LINKTYPE.LINUX_SLL2 }],
    [
      { data: ethernet(tcpPacket(A, B, 40000, 5060, 99, FLAGS.SYN)) },
      { data: ethernet(tcpPacket(A, B, 40000, 5060, 100 + half, FLAGS.PSH, inv.slice(half))) },
      { data: ethernet(tcpPacket(A, B, 40000, 5060, 100, FLAGS.PSH, inv.slice(0, half))) },
      { data: ethernet(tcpPacket(B, A, 5060, 40000, 500, FLAGS.PSH, response(180, 'Ringing') + response(200, 'OK'))) },
      ...fragments.map((f) => ({ data: sll2(f), iface: 1 })),
      { data: sll2(udpPacket(B, A, 5060, 5060, response(200, 'OK'))), iface: 1 },
      { data: sll2(udpPacket(B, A, 5060, 5060, response(200, 'OK'))), iface: 1 },
    ],
  );
};

describe('createCaptureReader', () => {
  const files: readonly (readonly [string, Buffer])[] = [
    ['the nanosecond pcap fixture', readFixture('pcap/loopback-ethernet-ns.pcap')],
    ['the two-interface pcapng fixture', readFixture('pcap/two-interfaces.pcapng')],
    ['a hand-built pcapng with TCP out of order and IPv4 fragments', mixed()],
  ];
  for (const [name, file] of files) {
    it(`gives the same counts for ${name} whatever the chunk sizes`, () => {
      // Prepare
      const whole = readCapture(file).result;

      // Act + Assess: every chunking (fixed seed) gives the whole-file result
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }), (sizes) => {
          expect(readCaptureParts(cutInto(file, sizes)).result).toEqual(whole);
        }),
        { seed: SEED, numRuns: 150 },
      );
    });
  }
});

describe('createCaptureReader on hostile input', () => {
  const pcapHeader = pcapFile([]);
  const pcapngHeader = pcapngSection([{ linkType: LINKTYPE.ETHERNET }, { linkType: LINKTYPE.RAW }], []);
  const fixture = readFixture('pcap/loopback-ethernet-ns.pcap');
  const supported = Object.values(LINKTYPE);

  it('never throws on random bytes after a valid pcap or pcapng header', () => {
    // Prepare + Act + Assess
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.uint8Array({ maxLength: 4096 }),
        fc.integer({ min: 1, max: 600 }),
        (ng, tail, chunk) => {
          const file = Buffer.concat([ng ? pcapngHeader : pcapHeader, tail]);
          expect(() => readCapture(file, chunk)).not.toThrow();
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('never throws on random frames inside valid records of every supported link type', () => {
    // Prepare + Act + Assess
    fc.assert(
      fc.property(
        fc.constantFrom(...supported),
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        (linkType, frames) => {
          const file = pcapFile(
            frames.map((f) => ({ data: Buffer.from(f) })),
            { linkType },
          );
          expect(() => readCapture(file)).not.toThrow();
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('never throws when bytes of a real capture are overwritten at random', () => {
    // Prepare + Act + Assess
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: fixture.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 30,
        }),
        (edits) => {
          const file = Buffer.from(fixture);
          for (const [at, value] of edits) file[at] = value;
          expect(() => readCapture(file, 512)).not.toThrow();
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('scan() over captures', () => {
  it('counts a gzip-compressed capture fed in small chunks like the capture itself', async () => {
    // Prepare
    const file = mixed();
    const gz = gzipSync(file);
    const cuts = Array.from({ length: Math.floor(gz.length / 97) }, (_, i) => (i + 1) * 97);

    // Act
    const r = await scan(chunked(gz, cuts));

    // Assess
    expect({
      formats: r.formats,
      requests: r.requestsByMethod,
      responses: r.byMethod,
      retransmissions: r.retransmissions,
      anomalies: r.anomalies,
    }).toEqual({
      formats: ['gzip', 'pcapng'],
      requests: { INVITE: 2 },
      responses: { INVITE: { '180': 1, '200': 3 } },
      retransmissions: { requests: 0, responses: 1 },
      anomalies: {},
    });
  });
});

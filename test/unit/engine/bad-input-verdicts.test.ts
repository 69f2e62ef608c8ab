import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { MAX_LINE_BYTES } from '../../../lambda/engine/text-scanner.js';
import { chunked, NO_CLASSES, readFixture, scanText, scanWhole } from '../../support/collect.js';
import { CORPUS_DIR } from '../../support/corpus.js';
import { cutAt, outcomeOf } from '../../support/fuzz/invariance.js';
import { ngrepPacket } from '../../support/log-formats.js';
import { notifySipfrag, response, sipMessage } from '../../support/sip-samples.js';

// One verdict for bad input, whatever its size, compression or chunking (issue 11).

/** Error codes of the input scanned whole, in 64 KiB chunks, and gzip-compressed. */
const codesEverywhere = async (input: Buffer): Promise<string[]> => {
  const cuts = Array.from({ length: Math.floor(input.length / 65536) }, (_, i) => (i + 1) * 65536);
  const all = [
    await outcomeOf(cutAt(input, [])),
    await outcomeOf(cutAt(input, cuts)),
    await outcomeOf(cutAt(gzipSync(input, { level: 1 }), [])),
  ];
  return all.map((o) => (o.ok ? 'ok' : o.code));
};

describe('input with no SIP', () => {
  it('is UNKNOWN_FORMAT when it is 4 MB of zeros, plain or as a gzip bomb', async () => {
    // Prepare
    const zeros = Buffer.alloc(4 * 1024 * 1024);

    // Act / Assess
    expect(await codesEverywhere(zeros)).toEqual(['UNKNOWN_FORMAT', 'UNKNOWN_FORMAT', 'UNKNOWN_FORMAT']);
  });

  it('is UNKNOWN_FORMAT when it is one line longer than the line limit without a newline', async () => {
    // Prepare
    const line = Buffer.alloc(MAX_LINE_BYTES + 4096, 0x41);

    // Act / Assess
    expect(await codesEverywhere(line)).toEqual(['UNKNOWN_FORMAT', 'UNKNOWN_FORMAT', 'UNKNOWN_FORMAT']);
  });

  it('is UNKNOWN_FORMAT when it is random-looking bytes', async () => {
    // Prepare
    const noise = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919 + (i >> 7)) % 256));

    // Act / Assess
    expect(await codesEverywhere(noise)).toEqual(['UNKNOWN_FORMAT', 'UNKNOWN_FORMAT', 'UNKNOWN_FORMAT']);
  });

  it.each([
    ['pjsip-head.log.xz', 'xz', 'xz -d'],
    ['pjsip-head.log.bz2', 'bzip2', 'bzip2 -d'],
    ['pjsip-head.log.zst', 'zstd', 'zstd -d'],
    ['pjsip-head.log.zip', 'zip', 'unzip'],
  ])(
    'is UNKNOWN_FORMAT naming the compression of %s and how to undo it, plain or inside a gzip',
    async (file, name, cmd) => {
      // Prepare: the first 2,000 bytes of the corpus's pjsip log, compressed by the real xz, bzip2, zstd and zip
      const packed = readFixture(`containers/${file}`);

      // Act
      const outcomes = [await outcomeOf(cutAt(packed, [3])), await outcomeOf(cutAt(gzipSync(packed), []))];

      // Assess: before, "no SIP found" after reading it all as text
      for (const o of outcomes) {
        expect(o.ok ? 'ok' : [o.code, o.message]).toEqual([
          'UNKNOWN_FORMAT',
          expect.stringContaining(`${name}-compressed input (first bytes`),
        ]);
        expect(o.ok ? '' : o.message).toContain(`decompress it first (${cmd})`);
      }
    },
  );

  it('is UNKNOWN_FORMAT saying a gzip inside a gzip was compressed twice, and how to undo it', async () => {
    // Prepare: logrotate's compress over a glob that takes .gz files in (before: "no SIP found ... first bytes
    // 1f 8b ...; expected pcap, pcapng, gzip": the bytes of the inner gzip, not said to be so)
    const twice = gzipSync(gzipSync(readFileSync(`${CORPUS_DIR}sipp-uac-invite.messages.log`)));

    // Act
    const o = await outcomeOf(cutAt(twice, [3, 5000]));

    // Assess
    expect(o.ok ? 'ok' : [o.code, o.message]).toEqual([
      'UNKNOWN_FORMAT',
      expect.stringMatching(
        /^a gzip inside a gzip \(compressed twice; first bytes once inflated 1f 8b .*\): decompress it once \(gzip -d\), then scan the \.gz it leaves$/,
      ),
    ]);
  });

  it.each([
    ['--format=gnu', 'sipp.pcapng'],
    ['--format=posix', 'mixed.ngrep.txt'],
  ])('is UNKNOWN_FORMAT naming a tar archive (tar %s of %s), plain or gzipped as a .tgz', async (format, file) => {
    // Prepare: the real GNU tar; before, a tar of the corpus captures counted 82 of their 3,739 responses, exit 0
    const tar = execFileSync('tar', ['-c', format, '-C', CORPUS_DIR, file, 'sipp-uac-invite.messages.log'], {
      maxBuffer: 64 * 1024 * 1024,
    });

    // Act
    const outcomes = [await outcomeOf(cutAt(tar, [100])), await outcomeOf(cutAt(gzipSync(tar), []))];

    // Assess
    for (const o of outcomes) {
      expect(o.ok ? 'ok' : [o.code, o.message]).toEqual([
        'UNKNOWN_FORMAT',
        'a tar archive: archives are not opened, each file in it is an input of its own; tar -xf FILE, then scan the folder it makes',
      ]);
    }
  });

  it.each([
    ['mixed-head.snoop.gz', 'Solaris snoop'],
    ['mixed-head.netmon2.gz', 'Microsoft Network Monitor 2'],
  ])('is UNKNOWN_FORMAT naming the capture format of %s and how to convert it', async (file, name) => {
    // Prepare: frames 1-400 of the corpus's mixed.pcap converted by editcap -F snoop / netmon2, gzipped
    const gzipped = readFixture(`containers/${file}`);

    // Act
    const o = await outcomeOf(cutAt(gzipped, [100]));

    // Assess: before, 3 of its responses showed through as bare SIP, with no error
    expect(o.ok ? 'ok' : [o.code, o.message]).toEqual([
      'UNKNOWN_FORMAT',
      expect.stringContaining(`a ${name} capture (first bytes`),
    ]);
    expect(o.ok ? '' : o.message).toContain('convert it first (editcap -F pcapng IN OUT.pcapng)');
  });

  it.each([
    ['mixed-head.commview-ncf.gz', 'TamoSoft CommView NCF'],
    ['mixed-head.commview-ncfx.gz', 'TamoSoft CommView NCFX'],
    ['mixed-head-100.k12text.gz', 'K12 text'],
  ])(
    'is UNKNOWN_FORMAT naming %s, a capture with no magic number, and the editcap -T that converts it',
    async (file, name) => {
      // Prepare: frames of the corpus's mixed.pcap written by editcap -F commview-ncf / commview-ncfx / k12text, gzipped
      const gzipped = readFixture(`containers/${file}`);

      // Act
      const outcomes = [await outcomeOf(cutAt(gzipped, [100])), await outcomeOf(cutAt(gunzipSync(gzipped), [7]))];

      // Assess: before, the NCF and NCFX files counted 3 of their responses (tshark: 203 in the NCF) with no error
      for (const o of outcomes) {
        expect(o.ok ? 'ok' : [o.code, o.message]).toEqual([
          'UNKNOWN_FORMAT',
          expect.stringContaining(`a ${name} capture (first bytes`),
        ]);
        expect(o.ok ? '' : o.message).toContain('convert it first (editcap -T ether -F pcapng IN OUT.pcapng;');
      }
    },
  );

  it('is zero messages and no error when empty, plain or as an empty gzip', async () => {
    // Prepare / Act
    const plain = await scanWhole(Buffer.alloc(0));
    const zipped = await scanWhole(gzipSync(Buffer.alloc(0)));

    // Assess
    expect([plain.messages, plain.responses, plain.byClass, plain.formats]).toEqual([0, 0, NO_CLASSES, []]);
    expect([zipped.messages, zipped.responses, zipped.byClass, zipped.formats]).toEqual([0, 0, NO_CLASSES, ['gzip']]);
  });
});

describe('gzip with junk after its last member', () => {
  it('counts the member and records the junk as gzip-trailing-garbage, however it is cut (as gzip -d warns and ignores it)', async () => {
    // Prepare
    const gz = Buffer.concat([gzipSync(Buffer.from(response(200, 'OK'))), Buffer.from('junk\n')]);

    // Act
    const outcomes = new Set<string>();
    for (let at = 1; at < gz.length; at++) {
      const r = await scan(chunked(gz, [at]));
      outcomes.add(JSON.stringify([r.responses, r.byCode, r.anomalies]));
    }

    // Assess
    expect([...outcomes]).toEqual([JSON.stringify([1, { '200': 1 }, { 'gzip-trailing-garbage': 1 }])]);
  });

  it('counts the responses of a small member before a damaged one in the partial counts, however it is cut', async () => {
    // Prepare: one response in a first member of 300 bytes (less than the engine sniffs), then a damaged member
    const bad = Buffer.from(gzipSync(Buffer.from(response(486, 'Busy Here').repeat(100))));
    bad.fill(0xff, 12, 40);
    const gz = Buffer.concat([gzipSync(Buffer.from(response(200, 'OK'))), bad]);

    // Act
    const outcomes = new Set<string>();
    for (let at = 1; at < gz.length; at += 7) {
      const error = await scan(chunked(gz, [at])).then(
        () => undefined,
        (e: { code: string; context: { partial: ScanResult } }) => e,
      );
      outcomes.add(JSON.stringify([error?.code, error?.context.partial.responses, error?.context.partial.byCode]));
    }

    // Assess: before, the sniff of the inflated head threw and took the first member's response with it
    expect([...outcomes]).toEqual([JSON.stringify(['CORRUPT_GZIP', 1, { '200': 1 }])]);
  });

  it('takes trailing zero bytes for padding, not junk', async () => {
    // Prepare
    const gz = Buffer.concat([gzipSync(Buffer.from(response(200, 'OK'))), Buffer.alloc(512)]);

    // Act
    const r = await scan(chunked(gz, [7, 100]));

    // Assess
    expect([r.responses, r.anomalies]).toEqual([1, {}]);
  });
});

describe('a Content-Length that cannot be right', () => {
  const twenty = Array.from({ length: 19 }, (_, i) => response(200, 'OK', `${i + 2} INVITE`)).join('');

  it('resynchronises at the next start line when it runs past the message limit, and counts what follows', async () => {
    // Prepare
    const first = sipMessage('SIP/2.0 180 Ringing', ['CSeq: 1 INVITE', 'Call-ID: a@b', 'Content-Length: 999999999']);
    const input = Buffer.from(first + twenty);

    // Act
    const whole = await scanWhole(input);
    const cut = await scan(chunked(input, [40, 41, 300, 301, 302]));

    // Assess
    expect([whole.responses, whole.byCode, whole.anomalies]).toEqual([20, { '180': 1, '200': 19 }, { resync: 1 }]);
    expect(cut).toEqual(whole);
  });

  it('resynchronises when it runs past the end of input', async () => {
    // Prepare
    const first = sipMessage('SIP/2.0 180 Ringing', ['CSeq: 1 INVITE', 'Call-ID: a@b', 'Content-Length: 100000']);

    // Act
    const r = await scanWhole(Buffer.from(first + twenty));

    // Assess
    expect([r.responses, r.byCode, r.anomalies]).toEqual([20, { '180': 1, '200': 19 }, { resync: 1 }]);
  });

  it('never cuts a sipfrag body whose Content-Length fits', async () => {
    // Prepare
    const input = Buffer.from(notifySipfrag() + response(200, 'OK', '2 NOTIFY'));

    // Act
    const r = await scanWhole(input);

    // Assess
    expect([r.requests, r.responses, r.byCode, r.anomalies]).toEqual([1, 1, { '200': 1 }, {}]);
  });
});

describe('a message that spans thousands of chunks', () => {
  it('is scanned in linear time (the scanner does not re-read its carried bytes per chunk)', async () => {
    // Prepare: a 3.5 MB body, LF line ends (the body walk counts each line), in 1 KiB chunks
    const body = 'a=x-fill:0123456789012345678901234567890123456789012345678901234567890123456789\n'.repeat(44_000);
    const msg = `SIP/2.0 200 OK\nCSeq: 1 INVITE\nCall-ID: big@x\nContent-Length: ${body.length + 44_000}\n\n${body}`;
    const input = Buffer.from(msg + response(486, 'Busy Here', '2 INVITE'));
    const cuts = Array.from({ length: Math.floor(input.length / 1024) }, (_, i) => (i + 1) * 1024);

    // Act
    const started = performance.now();
    const r = await scan(chunked(input, cuts));
    const ms = performance.now() - started;

    // Assess
    expect([r.responses, r.byCode, r.anomalies]).toEqual([2, { '200': 1, '486': 1 }, {}]);
    expect(ms).toBeLessThan(3000);
  });
});

describe('ngrep header lines whose flags bracket never closes', () => {
  it('are rejected in linear time (the search for "]" stops at the line end)', async () => {
    // Prepare: 3 and 6 MB of "U a -> b [AP" lines between two real packets; a search to the buffer's end per line
    // made the time grow with the square of the lines (6 s for 6 MB here), the bounded one linearly
    const packet = ngrepPacket('U', '10.0.0.2:5060', '10.0.0.1:5060', response(486, 'Busy Here'));
    const input = (lines: number): Buffer =>
      Buffer.from(`${packet}${'U 10.0.0.1:5060 -> 10.0.0.2:5060 [AP\n'.repeat(lines)}${packet}`);
    const timed = async (b: Buffer): Promise<[ScanResult, number]> => {
      const started = performance.now();
      const r = await scanWhole(b);
      return [r, performance.now() - started];
    };
    await timed(input(10_000));

    // Act
    const [half, halfMs] = await timed(input(81_000));
    const [r, ms] = await timed(input(162_000));

    // Assess: twice the lines take about twice the time (four times if quadratic); compared with each other, the
    // two runs measure the code, not how busy the machine is
    expect([r.formats, r.responses, r.byCode]).toEqual([['ngrep'], 2, { '486': 2 }]);
    expect(half.responses).toBe(2);
    expect(ms).toBeLessThan(3 * halfMs + 200);
  });
});

describe('request-like lines whose URI has no colon', () => {
  it('are rejected in linear time (the search for the scheme colon stops at the line end)', async () => {
    // Prepare: 6 MB of "INVITE x SIP/2.0" between two responses and no colon after them; the unbounded
    // search took 12 s here, the bounded walk 0.1 s
    const lines = 'INVITE x SIP/2.0\n'.repeat(350_000);
    const input = Buffer.from(`${response(486, 'Busy Here')}${lines}${response(200, 'OK')}`);

    // Act
    const started = performance.now();
    const r = await scanWhole(input);
    const ms = performance.now() - started;

    // Assess
    expect([r.requests, r.responses, r.byCode]).toEqual([0, 2, { '200': 1, '486': 1 }]);
    expect(ms).toBeLessThan(2000);
  });
});

describe('a run of status lines with no header line after any of them', () => {
  it('is no message, and is passed over in linear time', async () => {
    // Prepare: 3.3 MB of "SIP/2.0 503" lines between two responses (what a sipfrag body cut from its NOTIFY leaves);
    // each line scanned again up to the section's end took 13 s here
    const run = 'SIP/2.0 503 Service Unavailable\r\n'.repeat(100_000);
    const input = Buffer.from(`${response(486, 'Busy Here')}${run}\r\n${response(200, 'OK')}`);

    // Act
    const started = performance.now();
    const r = await scanWhole(input);
    const ms = performance.now() - started;

    // Assess
    expect([r.responses, r.byCode]).toEqual([2, { '200': 1, '486': 1 }]);
    expect(r.unrecognizedBytes).toBe(run.length);
    expect(ms).toBeLessThan(2000);
  });
});

describe('a status line whose next line is no header line, in a text log', () => {
  it('is no message, whatever header lines follow later; a UTF-8 header name is still a header', async () => {
    // Prepare: a sipfrag body's status line, then a syslog record's text, then a later message's headers (what an
    // unread syslog format leaves); and a response whose first header's name is UTF-8 (tshark reads it as one)
    const quoted = 'SIP/2.0 503 Service Unavailable\r\n<133>1 2026-12-07T12:17:32+05:30 vm kamailio 2 - - x\r\n';
    const later = 'CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
    const cafe = 'SIP/2.0 200 OK\r\nX-Café: 1\r\nCall-ID: c\r\nCSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n';

    // Act
    const r = await scanWhole(Buffer.from(`${quoted}${later}${cafe}`, 'utf8'));

    // Assess: before, the 503 counted with the CSeq of the lines after the record
    expect([r.responses, r.byCode]).toEqual([1, { '200': 1 }]);
  });
});

describe('a time that cannot be represented', () => {
  it('leaves the response untimed and counts an invalid-time anomaly', async () => {
    // Prepare: Kamailio sipdump record with `time: 17954979707284913` (found by the fuzzer)
    const record = readFileSync(
      fileURLToPath(
        new URL('../../../../shared/fuzz-reproducers/typed-errors-only-sipdump-huge-time.bin', import.meta.url),
      ),
    );

    // Act
    const r = await scanWhole(record);

    // Assess
    expect([r.responses, r.byCode, r.timedResponses, r.series, r.anomalies]).toEqual([
      1,
      { '200': 1 },
      0,
      [],
      { 'invalid-time': 1 },
    ]);
  });

  it('leaves an INVITE transaction untimed too, so that no KPI minute is made of it (it threw RangeError)', async () => {
    // Prepare: a sipdump INVITE and its 200 at a time beyond a Date's range (a helper found the same with a pcapng
    // block at 2^63 us): the KPI tracker made a minute of the INVITE's time, and its snapshot's toISOString threw
    const record = (message: string): string =>
      '====================\ntag: rcv\npid: 1\nprocess: 1\ntime: 17954979707284913.000000\nproto: udp ipv4\n' +
      'srcip: 10.0.0.1\nsrcport: 5060\ndstip: 10.0.0.2\ndstport: 5060\n~~~~~~~~~~~~~~~~~~~~\n' +
      `${message}||||||||||||||||||||\n`;
    const headers = 'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nCall-ID: c1@10.0.0.1\r\nCSeq: 1 INVITE\r\n';
    const text =
      record(`INVITE sip:b@example.com SIP/2.0\r\n${headers}Content-Length: 0\r\n\r\n`) +
      record(`SIP/2.0 200 OK\r\n${headers}Content-Length: 0\r\n\r\n`);

    // Act
    const r = await scanText(text);

    // Assess
    expect([r.requests, r.responses, r.timedResponses, r.series, r.anomalies]).toEqual([
      1,
      1,
      0,
      [],
      { 'invalid-time': 1 },
    ]);
    expect([r.kpis.inviteTransactions, r.kpis.established, r.kpis.series]).toEqual([1, 1, []]);
  });
});

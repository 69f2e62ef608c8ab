import { describe, expect, it } from 'vitest';
import { readFixture, replayAtRandomCuts, scanWhole } from '../../../support/collect.js';

/** Responses by CSeq method and code, and the anomalies, of a scan. */
const counts = async (name: string) => {
  const r = await scanWhole(readFixture(`ngrep-trailers/${name}`));
  return { byMethod: r.byMethod, anomalies: r.anomalies };
};

/** tshark -r f9030.pcap: 3 × 100, 5 × 180 and a 486, all to INVITEs. */
const F9030 = { INVITE: { '100': 3, '180': 5, '486': 1 } };

describe('ngrep text followed by its exit line, its counts or another log (test/fixtures/ngrep-trailers/)', () => {
  for (const mode of ['byline', 'normal', 'x']) {
    it(`ends a ${mode} packet before ngrep's exit line and reads the tcpdump -A log after it`, async () => {
      // Act
      const got = await counts(`ngrep-${mode}+tcpdump-A.txt`);

      // Assess: f9030.pcap's 9 and one_td.pcap's NOTIFY 200
      expect(got).toEqual({ byMethod: { ...F9030, NOTIFY: { '200': 1 } }, anomalies: {} });
    });
  }

  it('ends a default-mode packet at the first line without its two leading spaces (another log, no exit line)', async () => {
    // Act
    const got = await counts('ngrep-normal-no-exit+tcpdump-vvX.txt');

    // Assess: one_ng.pcap's BYE 200 and one_td.pcap's NOTIFY 200
    expect(got).toEqual({ byMethod: { BYE: { '200': 1 }, NOTIFY: { '200': 1 } }, anomalies: {} });
  });

  it("keeps the last packet of a live log that ends with ngrep's exit and its counts", async () => {
    // Act
    const r = await scanWhole(readFixture('ngrep-trailers/ngrep-normal-live-tail.txt'));

    // Assess: tshark on the live capture, frames 27900 and 27902: a NOTIFY's 408 and a BYE's 404
    expect(r.byMethod).toEqual({ BYE: { '404': 1 }, NOTIFY: { '408': 1 } });
    expect([r.anomalies, r.unrecognizedBytes]).toEqual([{}, 0]);
  });

  it('says so when the input ends inside a packet: in a hex row, or in the status line', async () => {
    // Act
    const hex = await counts('ngrep-x-cut-after-row.txt');
    const byline = await counts('ngrep-byline-cut-in-status-line.txt');

    // Assess: the cut 486 counts from its hex (its CSeq lost); "SIP/2." is no response, but is reported
    expect(hex).toEqual({
      byMethod: { ...F9030, UNKNOWN: { '486': 1 }, INVITE: { '100': 3, '180': 5 } },
      anomalies: { 'missing-cseq': 1 },
    });
    expect(byline).toEqual({ byMethod: { INVITE: { '100': 3, '180': 5 } }, anomalies: { 'truncated-status-line': 1 } });
  });

  it('reads a cut -x row as far as it goes, wherever in the row the input ends', async () => {
    // Prepare: the cut file's last row starts "  32 2e 30 2f"; cut 0 to 5 bytes into it
    const text = readFixture('ngrep-trailers/ngrep-x-cut-after-row.txt');
    const row = text.lastIndexOf('\n  32 2e 30 2f') + 1;

    // Act
    const got = [];
    for (let k = 0; k <= 5; k++) got.push((await scanWhole(text.subarray(0, row + k))).anomalies);

    // Assess: the 486 counts each time, its CSeq cut off; before, 1 to 3 bytes into the row lost it without a word
    expect(got).toEqual(Array(6).fill({ 'missing-cseq': 1 }));
  });

  it('does not end a packet at a body line "exit" that its Content-Length runs past', async () => {
    // Act
    const r = await scanWhole(readFixture('ngrep-trailers/ngrep-byline-exit-in-body-crafted.txt'));

    // Assess
    expect([r.byCode, r.anomalies]).toEqual([{ '200': 1, '480': 1, '486': 1 }, {}]);
  });

  it('gives the same result however a joined log is chunked', async () => {
    // Act
    const { whole, differing } = await replayAtRandomCuts(readFixture('ngrep-trailers/ngrep-normal+tcpdump-A.txt'), 5);

    // Assess
    expect(whole.responses).toBe(10);
    expect(differing).toEqual([]);
  });
});

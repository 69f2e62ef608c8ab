import { describe, expect, it } from 'vitest';
import { readFixture, scanWhole } from '../../support/collect.js';
import { readTsharkReading } from '../../support/tshark-counts.js';

/**
 * Wireshark's resend state is per (Call-ID, source, destination): a forking proxy's branches go to different
 * destinations, so the second branch's INVITE and its 200 are no re-sends. A log that names no addresses must reach the
 * same verdicts from the Vias (test/fixtures/resend-state/README.md).
 */
const NAME = 'resend-state/kamailio-fork';
const TRUTH = readTsharkReading(`${NAME}.tshark.json`);

describe('resend state where the log names no addresses', () => {
  it.each(['pcapng', 'sip', 'xlog.log'])('judges %s as tshark judges the capture: no re-send', async (ext) => {
    // Act
    const got = await scanWhole(readFixture(`${NAME}.${ext}`));

    // Assess: keyed by the Via's sent-by alone, the second branch's INVITE and 200 were re-sends (1 and 1)
    const { responses, requests, byCode, byMethod, retransmissions } = got;
    expect({ responses, requests, byCode, byMethod, retransmissions }).toEqual(TRUTH);
  });
});

import { describe, expect, it } from 'vitest';
import { readFixture, scanWhole } from '../../support/collect.js';
import { readTsharkReading } from '../../support/tshark-counts.js';

/**
 * Wireshark's resend state is per (Call-ID, source, destination): another transaction's message in between (a 2xx
 * ACK between two BYEs, a 408 to the BYE between two 200 OKs to the INVITE) starts it again. A log that names no
 * addresses must reach the same verdicts from the Vias (test/fixtures/resend-state/README.md).
 */
const NAME = 'resend-state/baresip-bye-after-ack';
const TRUTH = readTsharkReading(`${NAME}.tshark.json`);

describe('resend state where the log names no addresses', () => {
  it.each(['pcapng', 'baresip.log', 'sip'])('judges %s as tshark judges the capture: no re-send', async (ext) => {
    // Act
    const got = await scanWhole(readFixture(`${NAME}.${ext}`));

    // Assess: before, the log and the bare SIP counted 1 request and 1 response re-sent (a state per transaction)
    const { responses, requests, byCode, byMethod, retransmissions } = got;
    expect({ responses, requests, byCode, byMethod, retransmissions }).toEqual(TRUTH);
  });
});

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { addedLineSuffix } from '../../../lambda/engine/trailing-whitespace.js';
import { readFixture, replayAtRandomCuts, scanText, scanWhole } from '../../support/collect.js';
import { CORPUS_DIR, expectedFor } from '../../support/corpus.js';

/** What `sed 's/$/SUFFIX/'` makes of a text: the suffix at the end of every line, after a CR if the line has one. */
const sedAppend = (text: Buffer, suffix: string): Buffer =>
  Buffer.from(text.toString('latin1').replace(/\n/g, `${suffix}\n`), 'latin1');
/** The suffix before the CR of a CRLF line (`sed -E 's/(\r?)$/SUFFIX\1/'`: what an editor that knows CRLF adds). */
const beforeCr = (text: Buffer, suffix: string): Buffer =>
  Buffer.from(text.toString('latin1').replace(/(\r?)\n/g, `${suffix}$1\n`), 'latin1');

const corpusText = (file: string): Buffer => {
  const raw = readFileSync(`${CORPUS_DIR}${file}`);
  return file.endsWith('.gz') ? gunzipSync(raw) : raw;
};

describe('a text log with trailing whitespace added to every line', () => {
  // before (sed 's/$/ /'): ngrep 29 responses (message-too-large), tcpdump -A 0, sipdump and pjsip-style 1958
  // (truncated-message on every one, a MESSAGE body's quoted status line counted), SIPp all truncated-message
  it.each([
    ['mixed.ngrep.txt', ' '],
    ['mixed.tcpdump-A.txt.gz', '\t'],
    ['mixed.kamailio-sipdump.data', ' '],
    ['mixed.pjsip-style.log', ' \t '],
    ['sipp-uac-invite.messages.log', '  '],
  ])('counts %s with %j appended to every line as tshark counts its capture', async (file, suffix) => {
    // Prepare
    const text = sedAppend(corpusText(file), suffix);
    const expected = expectedFor(file);

    // Act
    const result = await scanWhole(text);

    // Assess
    expect(result.responses).toBe(expected.responses);
    expect(result.byCode).toEqual(expected.responses_by_code);
    expect(result.anomalies).toEqual({});
  });

  it('counts a CRLF log whose suffix went before each CR as tshark counts its capture', async () => {
    // Prepare: sipdump keeps the messages' CRLFs
    const text = beforeCr(corpusText('mixed.kamailio-sipdump.data'), '  ');

    // Act
    const result = await scanWhole(text);

    // Assess
    expect(result.byCode).toEqual(expectedFor('mixed.kamailio-sipdump.data').responses_by_code);
    expect(result.anomalies).toEqual({});
  });

  it('takes off only the added suffix: whitespace a body line held (an SDP "s= ") still counts in Content-Length', async () => {
    // Prepare: a body whose Content-Length counts the space of "s= ", then a second response right after it
    const body = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns= \r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n';
    const msg = (code: string, cseq: string, withBody: boolean): string =>
      `SIP/2.0 ${code}\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK${cseq}\r\nCall-ID: a@192.0.2.1\r\n` +
      `CSeq: ${cseq} INVITE\r\nContent-Length: ${withBody ? body.length : 0}\r\n\r\n${withBody ? body : ''}`;
    const log = Buffer.from(msg('200 OK', '1', true) + msg('180 Ringing', '2', false), 'latin1');

    // Act
    const plain = await scanWhole(log);
    const padded = await scanWhole(sedAppend(log, ' '));

    // Assess
    expect(plain.byCode).toEqual({ '180': 1, '200': 1 });
    expect([padded.byCode, padded.anomalies]).toEqual([plain.byCode, plain.anomalies]);
  });

  it('gives the same result however the padded text is chunked', async () => {
    // Prepare
    const text = sedAppend(readFixture('text/sipp-unexpected-tcp.messages.log'), ' \t');

    // Act
    const { whole, differing } = await replayAtRandomCuts(text, 6);

    // Assess
    expect(whole.byCode).toEqual((await scanWhole(readFixture('text/sipp-unexpected-tcp.messages.log'))).byCode);
    expect(differing).toEqual([]);
  });

  it('leaves logs whose lines end as their tools wrote them alone', async () => {
    // Prepare / Act / Assess: a few lines of theirs end in whitespace, never nearly all
    for (const name of ['chan-sip-full.log', 'ngrep-W-normal-t-loopback.txt', 'freeswitch-siptrace-old.log'])
      expect(addedLineSuffix(readFixture(`text/${name}`))).toBeUndefined();
    expect(addedLineSuffix(corpusText('mixed.ngrep.txt'))).toBeUndefined();
    expect(addedLineSuffix(sedAppend(corpusText('mixed.ngrep.txt'), ' \t'))?.toString()).toBe(' \t');
    expect((await scanText('SIP/2.0 200 OK \nCSeq: 1 OPTIONS\n\n')).responses).toBe(1);
  });
});

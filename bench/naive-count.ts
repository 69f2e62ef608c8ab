import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * The naive baseline: what a quick Node script would do to count responses, line by line with a
 * regular expression. It knows no log format and no Content-Length, so it also counts status
 * lines quoted in bodies and misses the ones a TCP segment boundary cut; it shows what the
 * engine's framing costs, not a count to trust.
 */

const STATUS_LINE = /^SIP\/2\.0 \d{3} /;

/** Lines of `file` that start with a SIP status line. */
export const countStatusLines = async (file: string): Promise<number> => {
  const lines = createInterface({
    input: createReadStream(file, { highWaterMark: 1024 * 1024 }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let n = 0;
  lines.on('line', (line: string) => {
    if (STATUS_LINE.test(line)) n++;
  });
  await once(lines, 'close');
  return n;
};

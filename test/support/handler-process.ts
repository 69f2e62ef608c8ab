// Runs the real handler in a process of its own, so a test can kill it mid-file (a real crash) or read its
// stdout (the real log lines). Input: the event as JSON on stdin; REMAINING_MS sets the Lambda deadline.
// Output: one line `RESULT <json>` after the log lines.
import { lambdaContext } from './lambda-context.js';

const readStdin = async (): Promise<string> => {
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
};

const event: unknown = JSON.parse(await readStdin());
const { handler } = await import('../../lambda/handler.js');
const result = await handler(event, lambdaContext(Number(process.env.REMAINING_MS ?? 900_000)));
process.stdout.write(`RESULT ${JSON.stringify(result ?? null)}\n`);

// The local AWS of the handler bench in a process of its own (bench/emulators-process.ts forks it): in Lambda, S3,
// DynamoDB and CloudWatch run on other machines, so their CPU must not be charged to the handler's thread.
// Answers the parent's requests over the IPC channel: put a file, reset / sum / count the recorded metrics, stop.
import { createReadStream } from 'node:fs';
import { startEmulators } from '../test/support/emulators.js';
import type { EmulatorReply, EmulatorRequest } from './emulators-process.js';

const send = (reply: EmulatorReply): void => {
  process.send?.(reply);
};

const emu = await startEmulators(process.argv[2], process.argv[3]);
process.on('message', async (req: EmulatorRequest) => {
  try {
    switch (req.op) {
      case 'put':
        send({ id: req.id, value: await emu.put(req.key, createReadStream(req.path), req.bytes) });
        break;
      case 'reset':
        emu.cloudWatch.reset();
        send({ id: req.id, value: 0 });
        break;
      case 'sum':
        send({ id: req.id, value: emu.cloudWatch.sum(req.metric) });
        break;
      case 'accepted':
        send({ id: req.id, value: emu.cloudWatch.accepted() });
        break;
      case 'stop':
        await emu.stop();
        send({ id: req.id, value: 0 });
        process.disconnect();
        break;
    }
  } catch (e) {
    send({ id: req.id, error: e instanceof Error ? e.message : String(e) });
  }
});
send({ id: 0, env: emu.env });

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalStackError } from './errors.js';

/** The only interface the local stack listens on: nothing is reachable from other machines. */
export const LOOPBACK = '127.0.0.1';

/**
 * Resolves with the bound port once `server` (already told to listen) is listening. A busy port rejects with
 * PORT_IN_USE naming the service and the option that changes it, instead of the bare EADDRINUSE `'error'` event
 * that would otherwise crash the process.
 */
export const whenListening = (server: Server, port: number, service: string, option: string): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
        const why = e.code === 'EACCES' ? 'not allowed' : 'already in use (is another `npm start` running?)';
        reject(
          new LocalStackError(
            'PORT_IN_USE',
            `${service}: port ${port} on ${LOOPBACK} is ${why}; choose another with ${option} <port>`,
            { service, port },
          ),
        );
      } else {
        reject(e);
      }
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
  });

/** Listens on 127.0.0.1:`port` (0 = a free one); see whenListening for the busy-port error. */
export const listenOn = (server: Server, port: number, service: string, option: string): Promise<number> => {
  const listening = whenListening(server, port, service, option);
  server.listen(port, LOOPBACK);
  return listening;
};

/** Closes a server and every connection it holds (idle keep-alive sockets of clients would keep it open). */
export const closeServer = async (server: Server): Promise<void> => {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  server.closeAllConnections();
  await closed;
};

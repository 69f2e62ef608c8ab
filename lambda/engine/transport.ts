import type { Transport } from './types.js';

const BY_NAME: Readonly<Record<string, Transport>> = {
  UDP: 'udp',
  TCP: 'tcp',
  TLS: 'tls',
  SCTP: 'sctp',
  WS: 'ws',
  WSS: 'ws',
};

/** The transport a log or a Via names ("UDP", "tcp", "WSS", ...), case-insensitively; 'unknown' otherwise. */
export const transportNamed = (name: string | undefined): Transport => BY_NAME[(name ?? '').toUpperCase()] ?? 'unknown';

import { readFileSync } from 'node:fs';
import { type PeerMap, parsePeerMap } from '../engine/peers.js';
import { ConfigError } from '../errors.js';

/** Reads a peer map (`{"name": ["CIDR", "IP", "IP:port", ...]}`) from JSON text; every problem in one error. */
export const peerMapFromJson = (json: string, where: string): PeerMap => {
  let spec: unknown;
  try {
    spec = JSON.parse(json);
  } catch (e) {
    throw new ConfigError(`${where}: not JSON (${e instanceof Error ? e.message : String(e)})`, { where });
  }
  const parsed = parsePeerMap(spec);
  if ('problems' in parsed) throw new ConfigError(`${where}: ${parsed.problems.join('; ')}`, { where });
  return parsed;
};

/** Reads a peer map file (`--peers FILE`). */
export const readPeerMapFile = (path: string): PeerMap => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`--peers ${path}: cannot read it (${e instanceof Error ? e.message : String(e)})`, { path });
  }
  return peerMapFromJson(text, `--peers ${path}`);
};

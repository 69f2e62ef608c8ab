/**
 * Small numbers for the sender and receiver names of messages ("10.0.0.1:5060", "local"), one numbering for the
 * whole process. A reader that interns a name (formats/intern-table.ts) numbers it once, when it first makes the
 * string, and hands the number on in the message's meta; the retransmission detector keys a direction by the two
 * numbers. Looking each name up in a Map per message instead, from the detector, was ~4 % of a text scan: the
 * lookup reads the string's hash from the string itself, a cache miss per name among thousands of senders.
 *
 * A name keeps its number for the life of the process; past `MAX_ENDPOINT_IDS` names, new ones get none (-1) and go
 * into keys as characters, under another kind of key (retransmissions.ts), so no name is ever written two ways.
 */

/**
 * Small numbers for strings, in the order first asked for. A string keeps the id it got; past `limit` strings new
 * ones get none (-1).
 */
export class NameIds {
  private readonly ids = new Map<string, number>();

  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}

  of(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      if (this.ids.size >= this.limit) return -1;
      id = this.ids.size;
      this.ids.set(name, id);
    }
    return id;
  }
}

/** Names numbered per process: a few thousand a busy log, ~60 bytes each held (6 MB at the bound). */
export const MAX_ENDPOINT_IDS = 100_000;

/** The process's numbering of sender and receiver names (the one every meta's srcId and dstId come from). */
export const endpointIds = new NameIds(MAX_ENDPOINT_IDS);

/** The name of this host in logs that only say sent or received, and of the other side. */
export const LOCAL = 'local';
export const REMOTE = 'remote';
export const LOCAL_ID = endpointIds.of(LOCAL);
export const REMOTE_ID = endpointIds.of(REMOTE);

/**
 * An empty record for keys that are array indices, such as status codes ("200", "603") and delay histogram buckets,
 * whose values V8 keeps in a dictionary. A plain `{}` given the key 603 grows a flat elements store of ~900 slots
 * (7 KB) to hold the one value: a scan result has a byCode record per peer and per minute and buckets per peer
 * delay, thousands of them, which made the end of a 200 MiB scan allocate tens of MB (its peak RSS) and take
 * 0.1 s to build. In a dictionary each key costs a few words, and the keys still list in ascending numeric order
 * (ECMA-262 OrdinaryOwnPropertyKeys), so the record reads and serialises exactly as before.
 */
export const sparseRecord = <T>(): Record<string, T> => {
  const out: Record<string, T> = {};
  // an index further than V8's largest gap for flat elements (1024) from the store's end turns the store into a
  // dictionary, and deleting the key leaves it one (dense records never come back to a flat store by themselves)
  Object.defineProperty(out, FAR_INDEX, { value: 0, configurable: true });
  delete out[FAR_INDEX];
  return out;
};

/** An array index far past any key a sparse record gets. */
const FAR_INDEX = '4000000000';

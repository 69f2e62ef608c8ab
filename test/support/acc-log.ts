/** What one synthetic accounting log holds: `perMinute` final replies in each of `minutes` minutes. */
export interface AccLogSpec {
  /** Epoch ms of the first minute (floored to the minute by the reader). */
  readonly startMs: number;
  readonly minutes: number;
  /** Status codes written round-robin, one record each. */
  readonly codes: readonly number[];
  readonly perMinute: number;
}

const METHODS = ['INVITE', 'BYE', 'OPTIONS', 'REGISTER'] as const;

/**
 * A Kamailio `acc` log (stderr form, as in the corpus' mixed.kamailio-proxy.log) spread over many minutes:
 * the engine counts one response per "transaction answered" record, stamped with its `timestamp=`.
 * Its expected counts are returned beside it, so tests need no second parser.
 */
export const accLog = (spec: AccLogSpec): { text: string; byClass: Record<string, number>; responses: number } => {
  const lines: string[] = [];
  const byClass: Record<string, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 };
  let n = 0;
  for (let m = 0; m < spec.minutes; m++) {
    const ts = Math.floor(spec.startMs / 1000) + m * 60;
    for (let k = 0; k < spec.perMinute; k++) {
      const code = spec.codes[n % spec.codes.length] ?? 200;
      const method = METHODS[n % METHODS.length];
      lines.push(
        ` 1(3944) NOTICE: acc [acc.c:287]: acc_log_request(): ACC: transaction answered: timestamp=${ts};` +
          `method=${method};from_tag=f${n};to_tag=t${n};call_id=c${n}@127.0.0.1;code=${code};reason=Synthetic;` +
          'src_user=ua;src_domain=127.0.0.1;src_ip=127.0.0.1;dst_ouser=200;dst_user=200;dst_domain=127.0.0.1',
      );
      byClass[`${String(code).charAt(0)}xx`] = (byClass[`${String(code).charAt(0)}xx`] ?? 0) + 1;
      n++;
    }
  }
  return { text: `${lines.join('\n')}\n`, byClass, responses: n };
};

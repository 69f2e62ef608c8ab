import type { ResultDetail } from '../engine/tally.js';

/** The CLI's options that decide what it prints of a scan. */
export interface PrintedParts {
  /** `--per-minute`: the series (a table, or `series` and `kpis.perMinute` with --json). */
  readonly perMinute: boolean;
  /** `--by peer`: the peers' table, or each peer's `kpis` with --json. */
  readonly byPeer: boolean;
  /** `--html`: the report draws the series and the peers' KPIs. */
  readonly html: boolean;
}

/**
 * What a scan has to keep for what the CLI prints (engine/tally.ts: ResultDetail): the per-minute series with
 * `--per-minute`, the peers' KPIs with `--by peer`, both for `--html`. Every total, the per-peer response counts and
 * the KPI totals are always there.
 */
export const detailFor = (p: PrintedParts): ResultDetail => ({
  perMinute: p.perMinute || p.html,
  peerKpis: p.byPeer || p.html,
});

/** `sip-metrics scan --json FILE`: what the bench measures the engine with. */
export const CLI_DEFAULT_DETAIL: ResultDetail = detailFor({ perMinute: false, byPeer: false, html: false });

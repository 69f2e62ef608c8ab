import { writeFile } from 'node:fs/promises';
import { reportWidgets } from '../../../infra/dashboard-widgets.js';
import { UnwritableReportError } from '../../errors.js';
import { deployedAlarmRules } from './deployed-alarm-rules.js';
import { renderReportHtml } from './render-html.js';
import { reportModelFromScans, type ScannedFile } from './report-model.js';

/**
 * `--html FILE`: one self-contained page of every input scanned (render-html.ts). The CLI imports this module only
 * when --html is given: the deployed settings are read through infra/config.ts, whose zod schemas are ~95 modules
 * that took longer to load than a small file takes to scan.
 */
export const writeHtmlReport = async (path: string, scanned: readonly ScannedFile[]): Promise<void> => {
  const deployed = deployedAlarmRules();
  // a peer's alarms judge that peer's series, which the report does not chart: the alarms of all responses and KPIs
  const spikeRules = deployed.spikeRules.filter((r) => r.peer === undefined);
  const model = reportModelFromScans(scanned, [...spikeRules, ...deployed.kpiRules], Date.now());
  const html = renderReportHtml(
    { ...model, source: `${model.source}; alarm thresholds from ${deployed.from}` },
    reportWidgets({ spikeAlarms: deployed.spikeAlarms, spikeRules, kpiRules: deployed.kpiRules }),
  );
  try {
    await writeFile(path, html);
  } catch (e) {
    throw new UnwritableReportError(`${path}: cannot write the HTML report (${(e as Error).message})`, { path });
  }
  process.stderr.write(
    `sip-metrics: HTML report of ${scanned.length} input(s) written to ${path} (${Math.ceil(Buffer.byteLength(html) / 1024)} KiB)\n`,
  );
};

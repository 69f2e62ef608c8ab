import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { buildAllSpikeAlarmRules, buildKpiAlarmRules } from '../infra/alarm-rules.js';
import type { StackConfig } from '../infra/config.js';
import { dashboardWidgets, widgetConditionsOf } from '../infra/dashboard-widgets.js';
import { renderReportHtml, renderReportMain } from '../lambda/cli/report/render-html.js';
import type { ReportModel } from '../lambda/cli/report/report-model.js';
import { closeServer, LOOPBACK, listenOn } from './listen.js';
import type { LocalStack } from './local-stack.js';
import { breakdownsOf, type DatumBreakdowns, reportModelFromLocal } from './web-model.js';

/** The dashboard's default port (after S3 4568, DynamoDB 4567 and CloudWatch 4569). */
export const DEFAULT_WEB_PORT = 4570;
/** How often the page fetches a fresh view. */
export const WEB_REFRESH_MS = 1000;

/** The running local dashboard. */
export interface WebDashboard {
  /** http://127.0.0.1:<port>/ */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves the local stack's view as the HTML report's page on 127.0.0.1 only: `/` the page, `/main` its widgets (the
 * page fetches them every second), `/model.json` the numbers behind them. Read-only: nothing is accepted but GET.
 */
export const startWebDashboard = async (o: {
  readonly stack: LocalStack;
  readonly port: number;
  /** The stack's configuration: what the function publishes, hence which widgets the deployed dashboard shows. */
  readonly config: StackConfig;
  readonly banner: string;
}): Promise<WebDashboard> => {
  const { stack } = o;
  const { config } = o;
  // the widgets of the deployed dashboard for this configuration, in its order (infra/dashboard-widgets.ts)
  const widgets = dashboardWidgets({
    spikeAlarms: config.spikeAlarms,
    spikeRules: buildAllSpikeAlarmRules(config.spikeAlarms, config.peerAlarms),
    kpiRules: buildKpiAlarmRules(config.kpiAlarms),
    conditions: widgetConditionsOf(config),
  });
  const cloudWatch = stack.services.cloudWatch;
  const { namespace } = config;
  // the datum-derived parts are recomputed only after the handler's next accepted PutMetricData, not per request
  let cached:
    | {
        minutes: ReportModel['minutes'];
        kpiMinutes: ReturnType<typeof cloudWatch.kpisByMinute>;
        breakdowns: DatumBreakdowns;
      }
    | undefined;
  const unsubscribe = cloudWatch.onAccepted(() => {
    cached = undefined;
  });
  const model = (): ReportModel => {
    cached ??= {
      minutes: cloudWatch.responsesByMinute(namespace),
      kpiMinutes: cloudWatch.kpisByMinute(namespace),
      breakdowns: breakdownsOf(cloudWatch.datums, namespace, config.metricDetail),
    };
    return reportModelFromLocal({
      snapshot: stack.snapshot(),
      breakdowns: cached.breakdowns,
      responsesByMinute: cached.minutes,
      kpisByMinute: cached.kpiMinutes,
      nowMs: Date.now(),
    });
  };
  let port = o.port;
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    // a page of another site may not read this one through a DNS name that resolves to 127.0.0.1 (DNS rebinding)
    const host = req.headers.host ?? '';
    if (host !== `${LOOPBACK}:${port}` && host !== `localhost:${port}`) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end('misdirected request: use http://127.0.0.1\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const path = new URL(req.url ?? '/', `http://${host}`).pathname;
    const send = (type: string, body: string): void => {
      res
        .writeHead(200, {
          'content-type': type,
          'cache-control': 'no-store',
          // the page needs nothing from elsewhere; its one inline script is the refresh loop
          'content-security-policy':
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:",
        })
        .end(req.method === 'HEAD' ? undefined : body);
    };
    if (path === '/') {
      send(
        'text/html; charset=utf-8',
        renderReportHtml(model(), widgets, { fragmentPath: '/main', refreshMs: WEB_REFRESH_MS, banner: o.banner }),
      );
    } else if (path === '/main') {
      send('text/html; charset=utf-8', renderReportMain(model(), widgets));
    } else if (path === '/model.json') {
      send('application/json', JSON.stringify(model()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  };
  const server = createServer(handle);
  port = await listenOn(server, o.port, 'Dashboard (web)', '--web-port');
  return {
    url: `http://${LOOPBACK}:${port}/`,
    port,
    close: async () => {
      unsubscribe();
      await closeServer(server);
    },
  };
};

/** Reads a synthesized dashboard body (a Fn::Join of JSON text and tokens) back into JSON, tokens as text. */
import type { Template } from 'aws-cdk-lib/assertions';

/** A dashboard widget, as far as the tests look into it. */
export interface DashboardWidget {
  readonly type: string;
  readonly width?: number;
  readonly height?: number;
  readonly properties: {
    readonly title?: string;
    readonly stacked?: boolean;
    readonly markdown?: string;
    readonly metrics?: readonly unknown[][];
    readonly alarms?: readonly string[];
    readonly annotations?: {
      readonly horizontal?: readonly { readonly value: number; readonly label: string; readonly yAxis?: string }[];
    };
  };
}

// a token inside the JSON text: a Ref or Fn::GetAtt, rendered as readable text that keeps the JSON valid
const tokenText = (part: unknown): string => {
  if (typeof part === 'string') return part;
  const obj = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (obj.Ref !== undefined) return `{Ref:${obj.Ref}}`;
  if (obj['Fn::GetAtt'] !== undefined) return `{GetAtt:${obj['Fn::GetAtt'].join('.')}}`;
  throw new Error(`unexpected token in dashboard body: ${JSON.stringify(part)}`);
};

/** The widgets of the only dashboard of the template. */
export const dashboardWidgets = (template: Template): DashboardWidget[] => {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  if (dashboards.length !== 1) throw new Error(`expected one dashboard, found ${dashboards.length}`);
  const body = (dashboards[0] as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody;
  const join = (body as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  const text = join === undefined ? String(body) : join[1].map(tokenText).join(join[0]);
  return (JSON.parse(text) as { widgets: DashboardWidget[] }).widgets;
};

/** The widget with this title. */
export const widgetTitled = (widgets: readonly DashboardWidget[], title: string): DashboardWidget => {
  const found = widgets.filter((w) => w.properties.title === title);
  if (found.length !== 1) throw new Error(`expected one widget titled "${title}", found ${found.length}`);
  return found[0] as DashboardWidget;
};

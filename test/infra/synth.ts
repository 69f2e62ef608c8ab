/**
 * Synthesizes the product's stack the way `cdk synth` does (cdk.json context, cdk-nag), for Template assertions.
 * Not a test file: each infra test file calls synthesize() once in beforeAll.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type IPolicyValidationContext, type PolicyValidationPluginReport, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, type IApplyRule, NagRuleCompliance } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { readAppStackConfig, type StackConfig } from '../../infra/config.js';
import { SipMetricsStack } from '../../infra/sip-metrics-stack.js';

/** The context of the repository's cdk.json, feature flags included. */
export const cdkJsonContext = (): Record<string, unknown> => {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
};

/** One raw cdk-nag finding, before acknowledgements are applied. */
export interface RawFinding {
  /** e.g. `AwsSolutions-IAM5[Resource::*]`. */
  readonly ruleId: string;
  /** Construct path of the offending CloudFormation resource. */
  readonly path: string;
}

/** AwsSolutionsChecks that also remembers every finding, acknowledged or not, to compare with the acknowledgements. */
export class RecordingAwsSolutionsChecks extends AwsSolutionsChecks {
  /** Every non-compliant finding seen while validating. */
  readonly findings: RawFinding[] = [];
  /** Reports produced by validate(). */
  readonly reports: PolicyValidationPluginReport[] = [];

  protected override applyRule(params: IApplyRule): void {
    const ruleId = `AwsSolutions-${params.ruleSuffixOverride ?? params.rule.name}`;
    const path = params.node.node.path;
    try {
      const result = params.rule(params.node);
      if (result === NagRuleCompliance.NON_COMPLIANT) this.findings.push({ ruleId, path });
      else if (Array.isArray(result)) for (const f of result) this.findings.push({ ruleId: `${ruleId}[${f}]`, path });
    } catch {
      this.findings.push({ ruleId, path });
    }
    super.applyRule(params);
  }

  override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const report = super.validate(context);
    this.reports.push(report);
    return report;
  }
}

/** One acknowledgement recorded with `Validations.of(construct).acknowledge()`. */
export interface Acknowledgement {
  readonly ruleId: string;
  readonly path: string;
  readonly reason: string;
}

/** Every acknowledgement in the tree, with the path of the construct it was made on. */
export const acknowledgementsIn = (root: IConstruct): Acknowledgement[] => {
  const out: Acknowledgement[] = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [key, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        // cdk-nag compares ids without the "annotation::" prefix CDK stores them with
        out.push({ ruleId: key.replace(/^annotation::/i, ''), path: c.node.path, reason: String(reason) });
      }
    }
  }
  return out;
};

/** What a test needs from one synthesis. */
export interface Synthesized {
  readonly app: App;
  readonly stack: SipMetricsStack;
  readonly config: StackConfig;
  readonly template: Template;
  readonly nag: RecordingAwsSolutionsChecks;
  /** Removes the cloud assembly (call it in afterAll). */
  readonly cleanup: () => void;
}

/**
 * Builds the app from cdk.json context plus `overrides`, with cdk-nag registered like infra/app.ts, and synthesizes
 * it (which runs the checks). Bundling is skipped unless `bundle` is set: only the bundle test pays for esbuild.
 */
export const synthesize = (overrides: Record<string, unknown> = {}, opts: { bundle?: boolean } = {}): Synthesized => {
  const outdir = mkdtempSync(join(tmpdir(), 'sip-metrics-infra-test-'));
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      ...overrides,
      ...(opts.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const config = readAppStackConfig(app);
  const stack = new SipMetricsStack(app, config.stackName, { config });
  const nag = new RecordingAwsSolutionsChecks(app);
  Validations.of(app).addPlugins(nag);
  const template = Template.fromStack(stack);
  return { app, stack, config, template, nag, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
};

/** The logical id of the only resource of a type whose id contains `fragment`. */
export const logicalIdOf = (template: Template, type: string, fragment: string): string => {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.includes(fragment));
  if (ids.length !== 1) throw new Error(`expected one ${type} with "${fragment}" in its id, found ${ids.join(', ')}`);
  return ids[0] as string;
};

import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readAppStackConfig, type StackConfig, StackConfigError } from './config.js';
import { SipMetricsStack } from './sip-metrics-stack.js';

// The entry `cdk synth` and `cdk deploy` run (cdk.json "app").
const app = new App();

/** The validated context, or exit with every problem on its own line (a stack trace would bury them). */
const configOrExit = (): StackConfig => {
  try {
    return readAppStackConfig(app);
  } catch (e) {
    if (!(e instanceof StackConfigError)) throw e;
    process.stderr.write(
      `Invalid cdk.json context (or -c options):\n${e.problems.map((p) => `  - ${p}`).join('\n')}\n`,
    );
    process.exit(1);
  }
};

const config = configOrExit();
new SipMetricsStack(app, config.stackName, {
  config,
  description: 'sip-metrics: SIP logs in S3 become per-class CloudWatch response metrics, 5xx/6xx alarms, a dashboard',
  // environment-agnostic unless the CLI knows an account: synth needs no credentials and no lookups
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// cdk-nag runs on every synth; an unacknowledged finding fails it
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();

/**
 * A CDK app of someone else's: their log bucket and their on-call topic already exist, and SipMetrics comes from the
 * npm package. test/package/pack.test.ts copies this folder next to an installed tarball, type-checks it against the
 * package's declarations, runs it, and reads the template and the cdk-nag report it prints. The README's "Use it in
 * your own CDK app" shows the same code. Not part of the repository's own tsconfig: 'sip-metrics' resolves only
 * where the package is installed.
 */
import { App, type IPolicyValidationContext, type PolicyValidationPluginReport, Stack, Validations } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SipMetrics, type SipMetricsProps } from 'sip-metrics';

/** AwsSolutionsChecks that keeps its reports, so the test can see that it ran and what it found. */
class ReportingChecks extends AwsSolutionsChecks {
  readonly reports: PolicyValidationPluginReport[] = [];
  override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const report = super.validate(context);
    this.reports.push(report);
    return report;
  }
}

const app = new App();
const stack = new Stack(app, 'Telephony');

// what the team already had: a bucket their SBCs ship logs into, and the topic on-call listens to
const accessLogs = new Bucket(stack, 'AccessLogs', {
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  encryption: BucketEncryption.S3_MANAGED,
  enforceSSL: true,
});
const sbcLogs = new Bucket(stack, 'SbcLogs', {
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  encryption: BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  versioned: true,
  serverAccessLogsBucket: accessLogs,
});
const onCallKey = new Key(stack, 'OnCallKey', { enableKeyRotation: true });
const onCall = new Topic(stack, 'OnCall', { masterKey: onCallKey, enforceSSL: true });
// CloudWatch alarms publish to an encrypted topic only when they may use its key and the topic
onCallKey.grantEncryptDecrypt(new ServicePrincipal('cloudwatch.amazonaws.com'));
onCall.grantPublish(new ServicePrincipal('cloudwatch.amazonaws.com'));

const props: SipMetricsProps = {
  bucket: sbcLogs,
  alarmTopic: onCall,
  keyPrefix: 'sbc/',
  keySuffixes: ['.pcap', '.log.gz'],
};
new SipMetrics(stack, 'SipMetrics', props);

const checks = new ReportingChecks(app);
Validations.of(app).addPlugins(checks);
app.synth();
console.log(JSON.stringify({ nagReports: checks.reports }));

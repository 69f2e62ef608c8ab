import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/** The topic {@link createAlarmTopic} made and the key that encrypts it. */
export interface AlarmTopicParts {
  readonly topic: Topic;
  readonly key: IKey;
}

/**
 * The encrypted alarm topic the Monitoring construct creates when it is not given one: a KMS key CloudWatch may use
 * (a new one with rotation, or `key`), and a topic that only accepts TLS and only this account's alarms.
 * The ids are those Monitoring always used, so deployed stacks keep their topic and subscriptions.
 */
export const createAlarmTopic = (scope: Construct, key?: IKey): AlarmTopicParts => {
  const topicKey =
    key ??
    new Key(scope, 'AlarmTopicKey', {
      description: 'Encrypts the SIP metrics alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  // CloudWatch calls KMS itself when it publishes to an encrypted topic, and the account-root statement does not
  // cover service principals: without this grant every notification is dropped silently. (A no-op on an imported
  // key: its policy must allow cloudwatch.amazonaws.com already, as the README says.)
  topicKey.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  const topic = new Topic(scope, 'AlarmTopic', {
    displayName: 'SIP metrics alarms',
    masterKey: topicKey,
    enforceSSL: true,
  });
  // enforceSSL creates a topic policy, which replaces SNS's default owner policy: CloudWatch then needs an
  // explicit allow, limited to alarms of this account
  topic.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccount',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
      },
    }),
  );
  return { topic, key: topicKey };
};

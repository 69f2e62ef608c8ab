// The loopback CloudWatch server is a product module now (`npm start` uses it): one implementation, in local/.
export {
  type Fault,
  type FaultRule,
  type LocalCloudWatch as FakeCloudWatch,
  PUT_METRIC_DATA_TARGET,
  type PutMetricDataBody,
  type RecordedDatum,
  type RecordedRequest,
  startLocalCloudWatch as startFakeCloudWatch,
  type WireDatum,
} from '../../local/cloudwatch-server.js';

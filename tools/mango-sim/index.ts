// Public surface of the Mango simulator.
export { mangoSign, signedForm, verifySign, parseSignedForm, toMangoJson } from './sign';
export { startMangoApi } from './api-server';
export type { MangoApi, MangoApiOptions, MangoFault, ApiRequestLog, WebhookLogEntry, WebhookSettings } from './api-server';
export { createState, addCallRecord } from './api-state';
export type { MangoState, CallFlowSettings, RecordingInfo } from './api-state';
export * from './scenarios';
export { deliver, deliverPaced, shuffleWithinCalls, generateLoad, planLoad } from './deliver';
export type { DeliverOptions, DeliverStats, DeliveryResult, RetryPolicy, PacedOptions } from './deliver';
export type { LoadOptions, PlannedCall, GeneratedCall } from './load-plan';
export { runLoad } from './load-runner';
export type { LoadReport, RunLoadOptions } from './load-runner';
export { startWebhookReceiver } from './webhook-receiver';
export type { WebhookReceiver, ReceivedWebhook } from './webhook-receiver';
export { applyTypeVariant } from './type-variant';
export { statsCsv, DEFAULT_STATS_FIELDS } from './stats-csv';
export { RESULT, RATE_LIMIT_BODY } from './codes';
export * from './directory';
export type * from './types';

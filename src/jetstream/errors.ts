// The one table of JetStream API errors: nats-server's server/errors.json entries Myelin answers with
// (HTTP-like `code`, `err_code` that clients branch on, and `description`, where `{x}` is filled in).

export interface ApiErrorDef {
  readonly code: number;
  readonly errCode: number;
  readonly description: string;
}

export const JS_ERRORS = {
  AccountResourcesExceeded: { code: 400, errCode: 10002, description: 'resource limits exceeded for account' },
  BadRequest: { code: 400, errCode: 10003, description: 'bad request' },
  ConsumerCreate: { code: 500, errCode: 10012, description: '{err}' },
  ConsumerNameExist: { code: 400, errCode: 10013, description: 'consumer name already in use' },
  ConsumerNotFound: { code: 404, errCode: 10014, description: 'consumer not found' },
  ConsumerDurableNameNotMatchSubject: {
    code: 400,
    errCode: 10017,
    description: 'consumer name in subject does not match durable name in request',
  },
  ConsumerEphemeralWithDurableName: {
    code: 400,
    errCode: 10020,
    description: 'consumer expected to be ephemeral but a durable name was set in request',
  },
  InsufficientResources: { code: 503, errCode: 10023, description: 'insufficient resources' },
  InvalidJSON: { code: 400, errCode: 10025, description: 'invalid JSON: {err}' },
  MemoryResourcesExceeded: { code: 500, errCode: 10028, description: 'insufficient memory resources available' },
  StorageResourcesExceeded: { code: 500, errCode: 10047, description: 'insufficient storage resources available' },
  MaximumConsumersLimit: { code: 400, errCode: 10026, description: 'maximum consumers limit reached' },
  MaximumStreamsLimit: { code: 400, errCode: 10027, description: 'maximum number of streams reached' },
  StreamMaxBytesRequired: { code: 400, errCode: 10113, description: 'account requires a stream config to have max bytes set' },
  StreamMaxStreamBytesExceeded: {
    code: 400,
    errCode: 10122,
    description: 'stream max bytes exceeds account limit max stream bytes',
  },
  ConsumerMaxPendingAckExcess: {
    code: 400,
    errCode: 10121,
    description: 'consumer max ack pending exceeds system limit of {limit}',
  },
  NoMessageFound: { code: 404, errCode: 10037, description: 'no message found' },
  NotEnabledForAccount: { code: 503, errCode: 10039, description: 'JetStream not enabled for account' },
  StreamInvalidConfig: { code: 500, errCode: 10052, description: '{err}' },
  MirrorMaxMessageSizeTooBig: { code: 400, errCode: 10030, description: 'stream mirror must have max message size >= source' },
  MirrorWithSources: { code: 400, errCode: 10031, description: 'stream mirrors can not also contain other sources' },
  MirrorWithSubjects: { code: 400, errCode: 10034, description: 'stream mirrors can not contain subjects' },
  SourceMaxMessageSizeTooBig: { code: 400, errCode: 10046, description: 'stream source must have max message size >= target' },
  StreamMirrorNotUpdatable: { code: 400, errCode: 10055, description: 'stream mirror configuration can not be updated' },
  SourceDuplicateDetected: { code: 400, errCode: 10140, description: 'duplicate source configuration detected' },
  SourceInvalidStreamName: { code: 400, errCode: 10141, description: 'sourced stream name is invalid' },
  MirrorInvalidStreamName: { code: 400, errCode: 10142, description: 'mirrored stream name is invalid' },
  MirrorWithFirstSeq: { code: 400, errCode: 10143, description: 'stream mirrors can not have first sequence configured' },
  SourceMultipleFiltersNotAllowed: {
    code: 400,
    errCode: 10144,
    description: 'source with multiple subject transforms cannot also have a single subject filter',
  },
  SourceInvalidSubjectFilter: { code: 400, errCode: 10145, description: 'source transform source: {err}' },
  SourceInvalidTransformDestination: { code: 400, errCode: 10146, description: 'source transform: {err}' },
  SourceOverlappingSubjectFilters: { code: 400, errCode: 10147, description: 'source filters can not overlap' },
  MirrorInvalidSubjectFilter: { code: 400, errCode: 10151, description: 'mirror transform source: {err}' },
  MirrorOverlappingSubjectFilters: { code: 400, errCode: 10152, description: 'mirror subject filters can not overlap' },
  MirrorInvalidTransformDestination: { code: 400, errCode: 10154, description: 'mirror transform: {err}' },
  MirrorMultipleFiltersNotAllowed: {
    code: 400,
    errCode: 10150,
    description: 'mirror with multiple subject transforms cannot also have a single subject filter',
  },
  StreamMessageExceedsMaximum: { code: 400, errCode: 10054, description: 'message size exceeds maximum allowed' },
  StreamMismatch: { code: 400, errCode: 10056, description: 'stream name in subject does not match request' },
  StreamMsgDeleteFailed: { code: 500, errCode: 10057, description: '{err}' },
  StreamNameExist: {
    code: 400,
    errCode: 10058,
    description: 'stream name already in use with a different configuration',
  },
  StreamNotFound: { code: 404, errCode: 10059, description: 'stream not found' },
  StreamNotMatch: { code: 400, errCode: 10060, description: 'expected stream does not match' },
  StreamSubjectOverlap: { code: 400, errCode: 10065, description: 'subjects overlap with an existing stream' },
  StreamWrongLastMsgID: { code: 400, errCode: 10070, description: 'wrong last msg ID: {id}' },
  StreamWrongLastSequence: { code: 400, errCode: 10071, description: 'wrong last sequence: {seq}' },
  StreamStoreFailed: { code: 503, errCode: 10077, description: '{err}' },
  ConsumerDeliverToWildcards: { code: 400, errCode: 10079, description: 'consumer deliver subject has wildcards' },
  ConsumerPushMaxWaiting: { code: 400, errCode: 10080, description: 'consumer in push mode can not set max waiting' },
  ConsumerSmallHeartbeat: { code: 400, errCode: 10083, description: 'consumer idle heartbeat needs to be >= 100ms' },
  ConsumerInvalidPolicy: { code: 400, errCode: 10094, description: '{err}' },
  ConsumerWQRequiresExplicitAck: { code: 400, errCode: 10098, description: 'workqueue stream requires explicit ack' },
  ConsumerWQMultipleUnfiltered: {
    code: 400,
    errCode: 10099,
    description: 'multiple non-filtered consumers not allowed on workqueue stream',
  },
  ConsumerBadDurableName: { code: 400, errCode: 10103, description: "durable name can not contain '.', '*', '>'" },
  ConsumerWithFlowControlNeedsHeartbeats: {
    code: 400,
    errCode: 10108,
    description: 'consumer with flow control also needs heartbeats',
  },
  StreamPurgeFailed: { code: 500, errCode: 10110, description: '{err}' },
  StreamRollupFailed: { code: 500, errCode: 10111, description: '{err}' },
  ConsumerMaxDeliverBackoff: {
    code: 400,
    errCode: 10116,
    description: 'max deliver is required to be > length of backoff values',
  },
  ConsumerCreateFilterSubjectMismatch: {
    code: 400,
    errCode: 10131,
    description: 'Consumer create request did not match filtered subject from create subject',
  },
  ConsumerCreateDurableAndNameMismatch: {
    code: 400,
    errCode: 10132,
    description: 'Consumer Durable and Name have to be equal if both are provided',
  },
  ConsumerDuplicateFilterSubjects: {
    code: 400,
    errCode: 10136,
    description: 'consumer cannot have both FilterSubject and FilterSubjects specified',
  },
  ConsumerAlreadyExists: { code: 400, errCode: 10148, description: 'consumer already exists' },
  ConsumerDoesNotExist: { code: 400, errCode: 10149, description: 'consumer does not exist' },
  ConsumerPriorityPolicyWithoutGroup: {
    code: 400,
    errCode: 10159,
    description: 'Setting PriorityPolicy requires at least one PriorityGroup to be set',
  },
  ConsumerInvalidPriorityGroup: {
    code: 400,
    errCode: 10160,
    description: 'Provided priority group does not exist for this consumer',
  },
  ConsumerEmptyGroupName: { code: 400, errCode: 10161, description: 'Group name cannot be an empty string' },
  ConsumerInvalidGroupName: {
    code: 400,
    errCode: 10162,
    description: 'Valid priority group name must match A-Z, a-z, 0-9, -_/=)+ and may not exceed 16 characters',
  },
  ConsumerPushWithPriorityGroup: {
    code: 400,
    errCode: 10178,
    description: 'priority groups can not be used with push consumers',
  },
  MessageTTLInvalid: { code: 400, errCode: 10165, description: 'invalid per-message TTL' },
  MessageTTLDisabled: { code: 400, errCode: 10166, description: 'per-message TTL is disabled' },
  StreamTransformInvalidSource: { code: 400, errCode: 10155, description: 'stream transform source: {err}' },
  StreamTransformInvalidDestination: { code: 400, errCode: 10156, description: 'stream transform: {err}' },
  RequiredApiLevel: { code: 412, errCode: 10185, description: 'JetStream minimum api level required' },
  ConsumerPriorityGroupWithPolicyNone: {
    code: 400,
    errCode: 10196,
    description: 'consumer can not have priority groups when policy is none',
  },
  ConsumerPinnedTTLWithoutPriorityPolicyNone: {
    code: 400,
    errCode: 10197,
    description: 'PinnedTTL cannot be set when PriorityPolicy is none',
  },
  // Level 2 (nats-server 2.12): counters, atomic batch publish, message schedules.
  StreamHeaderExceedsMaximum: { code: 400, errCode: 10097, description: 'header size exceeds maximum allowed of 64k' },
  StreamSealed: { code: 400, errCode: 10109, description: 'invalid operation on sealed stream' },
  StreamWrongLastSequenceConstant: { code: 400, errCode: 10164, description: 'wrong last sequence' },
  MessageIncrDisabled: { code: 400, errCode: 10168, description: 'message counters is disabled' },
  MessageIncrMissing: { code: 400, errCode: 10169, description: 'message counter increment is missing' },
  MessageIncrPayload: { code: 400, errCode: 10170, description: 'message counter has payload' },
  MessageIncrInvalid: { code: 400, errCode: 10171, description: 'message counter increment is invalid' },
  MessageCounterBroken: { code: 400, errCode: 10172, description: 'message counter is broken' },
  AtomicPublishDisabled: { code: 400, errCode: 10174, description: 'atomic publish is disabled' },
  AtomicPublishMissingSeq: { code: 400, errCode: 10175, description: 'atomic publish sequence is missing' },
  AtomicPublishIncompleteBatch: { code: 400, errCode: 10176, description: 'atomic publish batch is incomplete' },
  AtomicPublishUnsupportedHeaderBatch: {
    code: 400,
    errCode: 10177,
    description: 'atomic publish unsupported header used: {header}',
  },
  AtomicPublishInvalidBatchID: { code: 400, errCode: 10179, description: 'atomic publish batch ID is invalid' },
  MessageSchedulesDisabled: { code: 400, errCode: 10188, description: 'message schedules is disabled' },
  MessageSchedulesPatternInvalid: { code: 400, errCode: 10189, description: 'message schedules pattern is invalid' },
  MessageSchedulesTargetInvalid: { code: 400, errCode: 10190, description: 'message schedules target is invalid' },
  MessageSchedulesTTLInvalid: {
    code: 400,
    errCode: 10191,
    description: 'message schedules invalid per-message TTL',
  },
  MessageSchedulesRollupInvalid: { code: 400, errCode: 10192, description: 'message schedules invalid rollup' },
  StreamExpectedLastSeqPerSubjectInvalid: {
    code: 400,
    errCode: 10193,
    description: 'missing sequence for expected last sequence per subject',
  },
  AtomicPublishTooLargeBatch: { code: 400, errCode: 10199, description: 'atomic publish batch is too large: {size}' },
  AtomicPublishInvalidBatchCommit: { code: 400, errCode: 10200, description: 'atomic publish batch commit is invalid' },
  AtomicPublishContainsDuplicateMessage: {
    code: 400,
    errCode: 10201,
    description: 'atomic publish batch contains duplicate message id',
  },
} as const satisfies Record<string, ApiErrorDef>;

export type JsErrorName = keyof typeof JS_ERRORS;

/** The `error` object of an API reply. */
export interface ApiError {
  code: number;
  err_code: number;
  description: string;
}

/** An error to answer with, its `{placeholders}` filled from `args`. */
export function apiError(name: JsErrorName, args: Record<string, string | number> = {}): ApiError {
  const def: ApiErrorDef = JS_ERRORS[name];
  const description = def.description.replace(/\{(\w+)\}/g, (m, k: string) => (k in args ? String(args[k]) : m));
  return { code: def.code, err_code: def.errCode, description };
}

/** Thrown inside API handlers; the router turns it into the reply's `error`. */
export class JsApiError extends Error {
  constructor(readonly error: ApiError) {
    super(error.description);
  }
}

export function fail(name: JsErrorName, args?: Record<string, string | number>): never {
  throw new JsApiError(apiError(name, args));
}

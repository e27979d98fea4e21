// Priority groups on pull consumers (JetStream API level 1, nats-server 2.11; `prioritized` is 2.12):
// config `priority_groups`, `priority_policy` and `priority_timeout`; the `group`, `min_pending`,
// `min_ack_pending`, `id` and `priority` fields of a pull request; which waiting request a message goes to;
// the pinned client (`Nats-Pin-Id`), its timeout and `$JS.API.CONSUMER.UNPIN`. As in nats-server, a consumer has
// one pin whichever of its groups the pinned request named, and consumer info reports it under the first group.
//
// Status lines the pull requester gets (nats-server's exact texts):
//   400 Bad Request - Priority Group missing               a grouped consumer's request names no group
//   400 Bad Request - Invalid Priority Group               the group is not one of the consumer's
//   400 Bad Request - Not a Overflow Priority consumer     min_pending / min_ack_pending on another policy
//   400 Bad Request - Not a Pinned Client Priority consumer  id on another policy
//   400 Bad Request - Priority must be between 0 and 9
//   423 Nats-Pin-Id mismatch                               the request's id is not the current pin
//   423 Nats-Wrong-Pin-Id                                  (with pending counts) a waiting request's id went stale

import { type ApiRequest, jsonBody } from './api.js';
import { streamByName } from './api-streams.js';
import type { ConsumerConfig } from './defaults.js';
import { fail } from './errors.js';
import type { PullRequest } from './pull.js';
import { randomId, type JetStreamService } from './service.js';
import { nowNs, rfc3339, ZERO_TIME } from './wire.js';

/** The priority fields of a JSON pull request (nats-server's PriorityGroup). */
export interface PullPriority {
  group: string;
  minPending: number;
  minAckPending: number;
  id: string;
  priority: number;
}

const POLICIES = new Set(['none', 'overflow', 'pinned_client', 'prioritized']);
const GROUP_NAME = /^[a-zA-Z0-9/_=-]{1,16}$/;
/** The pin moves on when its client sends no pull request for this long, unless `priority_timeout` says. */
const DEFAULT_PINNED_TTL_NS = 120_000_000_000;

/** Fill the priority defaults and validate them as nats-server does (setConsumerConfigDefaults, checkConsumerCfg). */
export function normalizePriority(cfg: ConsumerConfig): ConsumerConfig {
  const policy = cfg.priority_policy ?? 'none';
  if (typeof policy !== 'string' || !POLICIES.has(policy)) {
    fail('InvalidJSON', { err: `unknown priority policy: ${JSON.stringify(policy)}` });
  }
  let ttl = typeof cfg.priority_timeout === 'number' && cfg.priority_timeout > 0 ? cfg.priority_timeout : 0;
  if (policy === 'pinned_client' && ttl === 0) ttl = DEFAULT_PINNED_TTL_NS;
  const groups = Array.isArray(cfg.priority_groups) ? (cfg.priority_groups as unknown[]) : [];
  if (policy !== 'none') {
    if (cfg.deliver_subject !== undefined) fail('ConsumerPushWithPriorityGroup');
    if (groups.length === 0) fail('ConsumerPriorityPolicyWithoutGroup');
    for (const g of groups) {
      if (g === '') fail('ConsumerEmptyGroupName');
      if (typeof g !== 'string' || !GROUP_NAME.test(g)) fail('ConsumerInvalidGroupName');
    }
  } else {
    if (groups.length > 0) fail('ConsumerPriorityGroupWithPolicyNone');
    if (ttl > 0) fail('ConsumerPinnedTTLWithoutPriorityPolicyNone');
  }
  if (policy === 'none') delete cfg.priority_policy;
  else cfg.priority_policy = policy;
  if (groups.length === 0) delete cfg.priority_groups;
  if (ttl === 0) delete cfg.priority_timeout;
  else cfg.priority_timeout = ttl;
  return cfg;
}

/** The priority fields of a parsed JSON pull request body. */
export function pullPriorityOf(j: Record<string, unknown>): PullPriority {
  const int = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);
  return {
    group: typeof j.group === 'string' ? j.group : '',
    minPending: int(j.min_pending),
    minAckPending: int(j.min_ack_pending),
    id: typeof j.id === 'string' ? j.id : '',
    priority: int(j.priority),
  };
}

/** What the consumer tells the selection about itself. */
export interface DeliveryCounts {
  numPending(): number;
  readonly ackPending: number;
}

/** Which waiting request gets the next message: its index, and whether it was just given the pin. */
export interface Pick {
  index: number;
  pinned: boolean;
  /** An overflow request with limits: serve one message at a time, checking the limits again before each. */
  limited: boolean;
}

/** The head of the waiting list, unconditionally (no policy, or `prioritized`, whose list is kept sorted). */
const HEAD: Pick = Object.freeze({ index: 0, pinned: false, limited: false });

/** The pin of a `pinned_client` consumer and the rules of every policy. */
export class PriorityState {
  /** The current pin id, '' when none. */
  pinId = '';
  private pinnedNs = 0n;
  /** The group of the request that got the pin: the unpinned advisory names it. */
  private pinGroup = '';
  /** The pin goes when its client sends no request before this time (ms). */
  private pinDeadlineMs = 0;

  constructor(
    /** Publishes `$JS.EVENT.ADVISORY.CONSUMER.<kind>.<stream>.<consumer>`. */
    private readonly advisory: (kind: string, type: string, fields: Record<string, unknown>) => void,
    private readonly account: string,
  ) {}

  /**
   * Checks of a new pull request, in nats-server's order; the status line to answer with when it is refused.
   * A request from the pinned client keeps the pin.
   */
  admit(cfg: ConsumerConfig, p: PullPriority | undefined, nowMs: number): string | undefined {
    if (p === undefined) return undefined;
    const policy = cfg.priority_policy ?? 'none';
    if ((p.minPending !== 0 || p.minAckPending !== 0) && policy !== 'overflow') {
      return '400 Bad Request - Not a Overflow Priority consumer';
    }
    if (p.id !== '' && policy !== 'pinned_client') return '400 Bad Request - Not a Pinned Client Priority consumer';
    if (p.priority < 0 || p.priority > 9) return '400 Bad Request - Priority must be between 0 and 9';
    if (policy === 'none') return undefined;
    if (p.group === '') return '400 Bad Request - Priority Group missing';
    if (!((cfg.priority_groups as string[] | undefined) ?? []).includes(p.group)) {
      return '400 Bad Request - Invalid Priority Group';
    }
    if (this.pinId !== '') {
      if (p.id === this.pinId) this.pinDeadlineMs = nowMs + ttlMs(cfg);
      else if (p.id !== '') return '423 Nats-Pin-Id mismatch';
    }
    return undefined;
  }

  /** Where a new request goes in the waiting list: `prioritized` keeps it sorted, lowest number first. */
  insertAt(cfg: ConsumerConfig, waiting: PullRequest[], req: PullRequest): number {
    if (cfg.priority_policy !== 'prioritized') return waiting.length;
    const rank = (r: PullRequest) => r.priority?.priority ?? Infinity;
    let i = waiting.length;
    while (i > 0 && rank(waiting[i - 1] as PullRequest) > rank(req)) i--;
    return i;
  }

  /**
   * The waiting request the next message goes to (there is one to deliver), or undefined when none may have
   * it now. Under `pinned_client` a request without an id takes a free pin, requests without an id wait while
   * the pin is held, and a request carrying a stale id is removed through `refuse`.
   */
  pick(
    cfg: ConsumerConfig,
    waiting: PullRequest[],
    counts: DeliveryCounts,
    nowMs: number,
    refuse: (req: PullRequest, status: string) => void,
  ): Pick | undefined {
    const policy = cfg.priority_policy;
    if (policy === 'pinned_client') {
      for (let i = 0; i < waiting.length; ) {
        const req = waiting[i] as PullRequest;
        const id = req.priority?.id ?? '';
        if (this.pinId === '') {
          if (id !== '') {
            waiting.splice(i, 1);
            refuse(req, '423 Nats-Wrong-Pin-Id');
            continue;
          }
          // A request that is not JSON has no group: it is served without a pin.
          if (req.priority === undefined || req.priority.group === '') return { index: i, pinned: false, limited: false };
          this.assign(cfg, req.priority, nowMs);
          return { index: i, pinned: true, limited: false };
        }
        if (id === this.pinId) return { index: i, pinned: false, limited: false };
        if (id === '' || req.priority === undefined) {
          i++;
          continue;
        }
        waiting.splice(i, 1);
        refuse(req, '423 Nats-Wrong-Pin-Id');
      }
      return undefined;
    }
    if (policy === 'overflow') {
      for (let i = 0; i < waiting.length; i++) {
        const p = (waiting[i] as PullRequest).priority;
        if (p === undefined || (p.minPending <= 0 && p.minAckPending <= 0)) return { index: i, pinned: false, limited: false };
        const overPending = p.minPending > 0 && p.minPending <= counts.numPending();
        const overAcks = p.minAckPending > 0 && p.minAckPending <= counts.ackPending;
        if (overPending || overAcks) return { index: i, pinned: false, limited: true };
      }
      return undefined;
    }
    return waiting.length > 0 ? HEAD : undefined;
  }

  private assign(cfg: ConsumerConfig, p: PullPriority, nowMs: number): void {
    this.pinId = randomId(22);
    this.pinnedNs = nowNs();
    this.pinGroup = p.group;
    p.id = this.pinId;
    this.pinDeadlineMs = nowMs + ttlMs(cfg);
    this.advisory('PINNED', 'consumer_group_pinned', { account: this.account, group: p.group, pinned_id: this.pinId });
  }

  /** Drop the pin without an advisory (the request that just got it could not take the message). */
  release(): void {
    this.pinId = '';
    this.pinnedNs = 0n;
    this.pinDeadlineMs = 0;
  }

  /** `$JS.API.CONSUMER.UNPIN` for `group`: the next request without an id gets a new pin. */
  unpin(group: string): void {
    this.release();
    this.advisory('UNPINNED', 'consumer_group_unpinned', { account: this.account, group, reason: 'admin' });
  }

  /** Once per service tick: true when the pin timed out (and was dropped), so waiting requests may take it. */
  expired(nowMs: number): boolean {
    if (this.pinId === '' || nowMs < this.pinDeadlineMs) return false;
    this.release();
    this.advisory('UNPINNED', 'consumer_group_unpinned', { account: this.account, group: this.pinGroup, reason: 'timeout' });
    return true;
  }

  /** Consumer info's `priority_groups`: nats-server reports the pin under the first group only. */
  info(cfg: ConsumerConfig): Record<string, unknown>[] | undefined {
    const groups = cfg.priority_groups as string[] | undefined;
    if (groups === undefined || groups.length === 0) return undefined;
    const state: Record<string, unknown> = { group: groups[0] };
    if (this.pinId !== '') state.pinned_client_id = this.pinId;
    state.pinned_ts = this.pinnedNs !== 0n ? rfc3339(this.pinnedNs) : ZERO_TIME;
    return [state];
  }
}

function ttlMs(cfg: ConsumerConfig): number {
  return ((cfg.priority_timeout as number | undefined) ?? DEFAULT_PINNED_TTL_NS) / 1e6;
}

/** `$JS.API.CONSUMER.UNPIN.<stream>.<consumer>` with `{"group": ...}`, checked in nats-server's order. */
export function unpinRequest(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  if (req.body.toString('utf8').trim() === '') fail('InvalidJSON', { err: 'unexpected end of JSON input' });
  const body = jsonBody(req);
  const group = typeof body.group === 'string' ? body.group : '';
  if (group === '') fail('InvalidJSON', { err: 'consumer group not specified' });
  if (!GROUP_NAME.test(group)) fail('ConsumerInvalidGroupName');
  const c = streamByName(svc, req.tokens[0]).consumers.get(req.tokens[1] ?? '');
  if (c === undefined) fail('ConsumerNotFound');
  if (!((c.config.priority_groups as string[] | undefined) ?? []).includes(group)) fail('ConsumerInvalidPriorityGroup');
  c.unpin(group);
  return {};
}

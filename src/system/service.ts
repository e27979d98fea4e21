// The system account's services, on the main thread, through the server's internal client
// (src/internal/internal-client.ts) opened in the system account:
//
// * advisories: `$SYS.ACCOUNT.<acc>.CONNECT`/`DISCONNECT` for the events every thread reports (threads only
//   report while a client listens), and `$SYS.SERVER.<id>.STATSZ` on nats-server's heartbeat;
// * requests: the `$SYS.REQ.SERVER.PING[.<endpoint>]` family, `$SYS.REQ.SERVER.<id>.<endpoint>` and
//   `$SYS.REQ.ACCOUNT.<acc>.<endpoint>`, answered by the same builders as HTTP monitoring (src/monitor),
//   wrapped as nats-server wraps them: `{"server":…,"data":…}` (bare PING and STATSZ: `"statsz"`).

import { InternalClient, type InternalOpener } from '../internal/internal-client.js';
import { accountz, accstatz } from '../monitor/accounts.js';
import { gatewayz, leafz, routez } from '../monitor/cluster.js';
import type { MonitorSource } from '../monitor/collect.js';
import { connz } from '../monitor/connz.js';
import { goJson } from '../monitor/go-format.js';
import { healthz } from '../monitor/healthz.js';
import { jsz, jszAccount, SkipAnswer } from '../monitor/jetstream.js';
import { subsz } from '../monitor/subsz.js';
import { varz, type VarzContext } from '../monitor/varz.js';
import type { Logger } from '../log.js';
import { accountConnsSubjects, clientEventSubject, GLOBAL_ACCOUNT, type ClientEvent } from './client-event.js';
import { accountConnsHead, clientEventJson, serverBlock, statsz } from './event-json.js';
import { BadRequest, filteredOut, parseBody, queryFor, type RequestBody } from './request-options.js';

/** nats-server's statsz heartbeat: first after 250 ms, doubling up to every 10 s. */
const STATSZ_FIRST_MS = 250;
const STATSZ_EVERY_MS = 10_000;
/** nats-server's account-connections heartbeat, while an account has connections. */
const ACCOUNT_CONNS_EVERY_MS = 30_000;

/** An endpoint: the request's options (if any) in, its answer (`data`) out. */
type Endpoint = (body: RequestBody | undefined) => Promise<unknown>;

export class SystemService {
  private readonly client: InternalClient;
  private seq = 0;
  private statszTimer: NodeJS.Timeout | undefined;
  private statszEvery = STATSZ_FIRST_MS;
  private readonly connsTimer: NodeJS.Timeout;
  /** Accounts whose connection counts are announced (all but $G, whose counts nats-server does not send). */
  private readonly trackedAccounts: string[];
  /** Set at shutdown: nothing more is published (the engines are going away). */
  private closed = false;
  private readonly endpoints: Map<string, Endpoint>;
  /** Set when HTTP monitoring runs, so VARZ reports its listener and request counts. */
  varzContext: (() => VarzContext) | undefined;

  constructor(
    open: InternalOpener,
    readonly account: string,
    private readonly source: MonitorSource,
    private readonly log: Logger,
    accounts: string[] = [],
  ) {
    this.client = new InternalClient(open, account);
    const q = queryFor;
    this.endpoints = new Map<string, Endpoint>([
      ['VARZ', () => varz(this.varz())],
      ['CONNZ', (b) => connz(source, q('CONNZ', b))],
      ['SUBSZ', (b) => subsz(source, q('SUBSZ', b))],
      ['ROUTEZ', async () => routez(source)],
      ['GATEWAYZ', async () => gatewayz(source)],
      ['LEAFZ', async () => leafz(source)],
      ['ACCOUNTZ', (b) => accountz(source, q('ACCOUNTZ', b))],
      ['JSZ', async (b) => jsz(source, q('JSZ', b))],
      // Over the system account nats-server also puts the status code in the answer.
      ['HEALTHZ', async (b) => healthzData(healthz(source, q('HEALTHZ', b)))],
    ]);
    const id = source.identity.serverId;
    this.client.subscribe('$SYS.REQ.SERVER.PING', (_s, reply, _h, body) => this.statszRequest(reply, body));
    this.client.subscribe('$SYS.REQ.SERVER.PING.*', (s, reply, _h, body) => this.serverRequest(lastToken(s), reply, body));
    this.client.subscribe(`$SYS.REQ.SERVER.${id}.*`, (s, reply, _h, body) => this.serverRequest(lastToken(s), reply, body));
    this.client.subscribe('$SYS.REQ.ACCOUNT.*.*', (s, reply, _h, body) => this.accountRequest(s, reply, body));
    for (const acc of accounts) if (acc !== account) this.serveAccount(open, acc);
    this.trackedAccounts = [account, ...accounts.filter((a) => a !== account && a !== GLOBAL_ACCOUNT)];
    this.scheduleStatsz();
    this.connsTimer = setInterval(() => void this.accountConnsHeartbeat(), ACCOUNT_CONNS_EVERY_MS);
    this.connsTimer.unref();
  }

  /**
   * What nats-server imports from the system account into every other account, scoped to that account:
   * `$SYS.REQ.SERVER.PING.CONNZ` and `$SYS.REQ.ACCOUNT.PING.CONNZ` (its connections) and
   * `$SYS.REQ.ACCOUNT.PING.STATZ` (its STATZ). Served by an internal client in the account itself, so
   * publishes elsewhere pay nothing for it. (`$SYS.REQ.USER.INFO` needs the asker's identity: not served.)
   */
  private serveAccount(open: InternalOpener, acc: string): void {
    const client = new InternalClient(open, acc);
    const connz = this.accountEndpoint('CONNZ', acc)!;
    const onConnz = (_s: string, reply: string, _h: Buffer | undefined, body: Buffer): void =>
      void this.answer(reply, body, async (opts) => ({ data: await connz(opts) }), client);
    client.subscribe('$SYS.REQ.SERVER.PING.CONNZ', onConnz);
    client.subscribe('$SYS.REQ.ACCOUNT.PING.CONNZ', onConnz);
    client.subscribe('$SYS.REQ.ACCOUNT.PING.STATZ', (_s, reply, _h, body) =>
      void this.answer(reply, body, (opts) => this.accountStatz(opts, acc), client),
    );
  }

  /** A thread reported a client connect or disconnect. */
  clientEvent(ev: ClientEvent): void {
    if (this.closed) return;
    const account = ev.client.account;
    const conns = accountConnsSubjects(ev.kind, account).filter((s) => this.client.hasInterest(s));
    // On the next turn: a main-thread disconnect is reported while its connection is still listed.
    if (conns.length > 0) setImmediate(() => void this.sendAccountConns(account, conns));
    const subject = clientEventSubject(ev.kind, account, this.source.identity.serverId);
    if (this.client.hasInterest(subject)) this.send(subject, clientEventJson(ev, serverBlock(this.source, ++this.seq)));
  }

  /** Lame-duck mode started: `$SYS.SERVER.<id>.LAMEDUCK` carries the server block alone. */
  lameDuck(): void {
    this.send(`$SYS.SERVER.${this.source.identity.serverId}.LAMEDUCK`, serverBlock(this.source, ++this.seq));
  }

  /** An account's connection count changed: its STATZ entry, as an account_connections advisory. */
  private async sendAccountConns(account: string, subjects: string[]): Promise<void> {
    const data = await accstatz(this.source, new URLSearchParams({ accounts: account, unused: 'true' }));
    const entry = (data.account_statz as Record<string, unknown>[])[0];
    if (entry !== undefined) this.publishAccountConns(entry, subjects);
  }

  private publishAccountConns(entry: Record<string, unknown>, subjects: string[]): void {
    const head = accountConnsHead();
    for (const s of subjects) this.send(s, { ...head, server: serverBlock(this.source, ++this.seq), ...entry });
  }

  /** Every 30 s, the counts of the accounts that have connections, where someone listens for them. */
  private async accountConnsHeartbeat(): Promise<void> {
    const listened = new Map<string, string[]>();
    for (const acc of this.trackedAccounts) {
      const subjects = accountConnsSubjects('connect', acc).filter((s) => this.client.hasInterest(s));
      if (subjects.length > 0) listened.set(acc, subjects);
    }
    if (listened.size === 0) return;
    const data = await accstatz(this.source, new URLSearchParams({ accounts: [...listened.keys()].join(',') }));
    for (const entry of data.account_statz as Record<string, unknown>[]) {
      const subjects = listened.get(entry.acc as string);
      if (subjects !== undefined && (entry.conns as number) > 0) this.publishAccountConns(entry, subjects);
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.connsTimer);
    if (this.statszTimer !== undefined) clearTimeout(this.statszTimer);
    this.statszTimer = undefined;
  }

  private varz(): VarzContext {
    if (this.varzContext !== undefined) return this.varzContext();
    const o = this.source.options;
    return {
      source: this.source,
      httpHost: o.httpHost,
      httpPort: o.httpPort,
      httpsPort: o.httpsPort,
      httpBasePath: o.httpBasePath,
      httpReqStats: {},
      configLoadTime: this.source.startTime,
    };
  }

  private scheduleStatsz(): void {
    this.statszTimer = setTimeout(() => {
      this.statszEvery = Math.min(this.statszEvery * 2, STATSZ_EVERY_MS);
      this.scheduleStatsz();
      const subject = `$SYS.SERVER.${this.source.identity.serverId}.STATSZ`;
      if (this.client.hasInterest(subject)) void this.sendStatsz(subject);
    }, this.statszEvery);
    this.statszTimer.unref();
  }

  private async sendStatsz(subject: string): Promise<void> {
    const stats = await statsz(this.source);
    this.send(subject, { server: serverBlock(this.source, ++this.seq), statsz: stats });
  }

  /** Bare PING, and STATSZ: `{"server":…,"statsz":…}`. */
  private statszRequest(reply: string, body: Buffer): void {
    void this.answer(reply, body, async () => ({ statsz: await statsz(this.source) }));
  }

  private serverRequest(endpoint: string, reply: string, body: Buffer): void {
    if (endpoint === 'STATSZ' || endpoint === 'PING') {
      // `$SYS.REQ.SERVER.<id>.PING` is not a request nats-server serves.
      if (endpoint === 'STATSZ') this.statszRequest(reply, body);
      return;
    }
    if (endpoint === 'IDZ') {
      void this.answer(reply, body, async () => ({ bare: this.idz() }));
      return;
    }
    const run = this.endpoints.get(endpoint);
    if (run === undefined) return;
    void this.answer(reply, body, async (opts) => ({ data: await run(opts) }));
  }

  /** `$SYS.REQ.ACCOUNT.<acc>.<endpoint>`, and `$SYS.REQ.ACCOUNT.PING.STATZ` for every account. */
  private accountRequest(subject: string, reply: string, body: Buffer): void {
    const tokens = subject.split('.');
    const acc = tokens[3] ?? '';
    const endpoint = tokens[4] ?? '';
    if (acc === 'PING') {
      if (endpoint === 'STATZ') void this.answer(reply, body, (opts) => this.accountStatz(opts));
      return;
    }
    if (endpoint === 'STATZ') {
      void this.answer(reply, body, (opts) => this.accountStatz(opts, acc));
      return;
    }
    const run = this.accountEndpoint(endpoint, acc);
    if (run !== undefined) void this.answer(reply, body, async (opts) => ({ data: await run(opts) }));
  }

  /**
   * One account's CONNZ, SUBSZ (always with its subscriptions, as nats-server), INFO (its /accountz detail) or
   * JSZ (its /jsz account detail).
   */
  private accountEndpoint(endpoint: string, acc: string): Endpoint | undefined {
    const source = this.source;
    const scoped = (name: string, opts: RequestBody | undefined, param: string) => {
      const q = queryFor(name, opts);
      q.set(param, acc);
      return q;
    };
    switch (endpoint) {
      case 'CONNZ':
        return (opts) => connz(source, scoped('CONNZ', opts, 'acc'));
      case 'SUBSZ':
        return (opts) => {
          const q = scoped('SUBSZ', opts, 'acc');
          q.set('subs', 'true');
          return subsz(source, q);
        };
      case 'INFO':
        return async () => (await accountz(source, new URLSearchParams({ acc }))).account_detail;
      case 'JSZ':
        return async (opts) => jszAccount(source, acc, queryFor('JSZ', opts));
    }
    return undefined;
  }

  /** Account STATZ: nothing is sent when no account qualifies, unless unused ones were asked for. */
  private async accountStatz(opts: RequestBody | undefined, acc?: string): Promise<Record<string, unknown> | undefined> {
    const q = queryFor('STATZ', opts);
    if (acc !== undefined) q.set('accounts', acc);
    const data = await accstatz(this.source, q);
    const list = data.account_statz as unknown[];
    if (list.length === 0 && opts?.include_unused !== true) return undefined;
    return { data };
  }

  private idz(): Record<string, unknown> {
    return { name: this.source.identity.serverName, host: this.source.options.host, id: this.source.identity.serverId };
  }

  /**
   * Decode the body (a bad one is a 400), apply the filter (no answer when it names another server), run
   * the endpoint (an error is a 500, as nats-server reports them) and send the wrapped answer to `reply`.
   * `build` returns the fields after `server` (`data`, `statsz`), `{bare}` for an unwrapped answer, or
   * undefined for no answer.
   */
  private async answer(
    reply: string,
    body: Buffer,
    build: (opts: RequestBody | undefined) => Promise<Record<string, unknown> | undefined>,
    via = this.client,
  ): Promise<void> {
    if (reply === '') return;
    let opts: RequestBody | undefined;
    try {
      opts = parseBody(body);
    } catch (err) {
      if (err instanceof BadRequest) this.sendError(reply, 400, err.message, via);
      return;
    }
    if (filteredOut(this.source, opts)) return;
    let fields: Record<string, unknown> | undefined;
    try {
      fields = await build(opts);
    } catch (err) {
      if (err instanceof SkipAnswer) return;
      this.sendError(reply, 500, err instanceof Error ? err.message : String(err), via);
      return;
    }
    if (fields === undefined) return;
    if ('bare' in fields) this.send(reply, fields.bare, via);
    else this.send(reply, { server: serverBlock(this.source, ++this.seq), ...fields }, via);
  }

  private sendError(reply: string, code: number, description: string, via: InternalClient): void {
    this.send(reply, { server: serverBlock(this.source, ++this.seq), error: { code, description } }, via);
  }

  /** Publish `value` as Go's compact JSON, in the system account or, `via` another client, in its account. */
  private send(subject: string, value: unknown, via = this.client): void {
    if (this.closed) return;
    try {
      via.publish(subject, '', undefined, goJson(value, false));
    } catch (err) {
      this.log.error(`Error sending system account message on ${subject}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** HealthStatus with `status_code` after `status`, as nats-server marshals it. */
function healthzData(h: { code: number; body: Record<string, unknown> }): Record<string, unknown> {
  const { status, ...rest } = h.body;
  return { status, status_code: h.code, ...rest };
}

function lastToken(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}


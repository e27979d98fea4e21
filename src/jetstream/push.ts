// Push consumers' control messages: idle heartbeats and flow control.
//
// Heartbeat: `100 Idle Heartbeat` with Nats-Last-Consumer / Nats-Last-Stream (the last delivered sequences),
// plus Nats-Consumer-Stalled (the flow-control reply subject) while waiting for a flow-control answer.
// Flow control: `100 FlowControl Request` published with reply `$JS.FC.<stream>.<consumer>.<id>`; delivery
// past the pending window pauses until the client publishes to that reply.

import { headerBlock } from './wire.js';

export function heartbeat(lastConsumerSeq: number, lastStreamSeq: number, stalledOn: string): Buffer {
  const pairs: [string, string | number][] = [
    ['Nats-Last-Consumer', lastConsumerSeq],
    ['Nats-Last-Stream', lastStreamSeq],
  ];
  if (stalledOn !== '') pairs.push(['Nats-Consumer-Stalled', stalledOn]);
  return headerBlock('100 Idle Heartbeat', pairs);
}

export const FLOW_CONTROL_REQUEST = headerBlock('100 FlowControl Request');

export function flowControlReply(stream: string, consumer: string, id: number): string {
  return `$JS.FC.${stream}.${consumer}.${id}`;
}

/** Deliveries (messages, bytes) a push consumer with flow control makes before asking for a go-ahead. */
export const FLOW_CONTROL_MSGS = 1024;
export const FLOW_CONTROL_BYTES = 4 * 1024 * 1024;

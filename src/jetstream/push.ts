// Push consumers' control messages: idle heartbeats and flow control.
//
// Heartbeat: `100 Idle Heartbeat` with Nats-Last-Consumer / Nats-Last-Stream (the last delivered sequences),
// plus Nats-Consumer-Stalled (the flow-control reply subject) while waiting for a flow-control answer.
// Flow control: `100 FlowControl Request` published with reply `$JS.FC.<stream>.<consumer>.<id>`; the client
// answers by publishing to that reply (window below).

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

/**
 * Flow control is a byte window, as nats-server keeps it: a consumer starts with a window of
 * FLOW_CONTROL_MAX_PENDING / 16, asks for a go-ahead once more than half of it is outstanding, keeps delivering
 * until the whole window is, and each answer releases the bytes outstanding when it was asked and doubles
 * the window up to FLOW_CONTROL_MAX_PENDING. Delivery thus never waits for the client while it keeps up.
 */
export const FLOW_CONTROL_MAX_PENDING = 32 * 1024 * 1024;
export const FLOW_CONTROL_START_WINDOW = FLOW_CONTROL_MAX_PENDING / 16;

// Checks a running Busbar node with the official Vert.x event-bus bridge client, as a Node.js
// application would use it. Run by NodeClientIT, or by hand:
//   BUSBAR_URL=http://127.0.0.1:8080 node --test bridge-client.test.mjs
// Every wait is bounded; any failure makes `node --test` exit non-zero.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import EventBus from '@vertx/eventbus-bridge-client.js';

const BASE = process.env.BUSBAR_URL;
/** Registrations reach the bus a moment after the client asks: retry for at most this long. */
const PROPAGATION_MS = 20_000;
const WAIT_MS = 10_000;

let eb;
/** Errors the bridge sends without an address (access_denied) arrive only in onerror. */
const errors = [];
let errorWaiter = null;

before(async () => {
  assert.ok(BASE, 'set BUSBAR_URL, e.g. http://127.0.0.1:8080');
  eb = new EventBus(`${BASE}/eventbus`);
  eb.onerror = (err) => {
    errors.push(err);
    errorWaiter?.();
  };
  await bounded(new Promise((resolve) => { eb.onopen = resolve; }), WAIT_MS, 'connecting to the bridge');
});

after(() => {
  eb?.close();
});

test('receives an event published over HTTP', async () => {
  const received = new Map();
  eb.registerHandler('events.orders', (err, msg) => {
    if (!err && msg.body?.order) received.set(msg.body.order, msg);
  });
  const published = new Map();
  const msg = await retryUntil(async () => {
    const order = randomUUID();
    const res = await fetch(`${BASE}/api/publish/events.orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ order }),
      signal: AbortSignal.timeout(WAIT_MS),
    });
    assert.equal(res.status, 202, await res.clone().text());
    published.set(order, (await res.json()).id);
    return [...published.keys()].map((o) => received.get(o)).find(Boolean);
  }, 'an HTTP-published event to reach the client');
  assert.equal(msg.address, 'events.orders');
  assert.equal(msg.headers['ce-id'], published.get(msg.body.order));
});

test('send and publish to a permitted address reach a handler', async () => {
  const address = `events.js.${randomUUID()}`;
  const received = new Map();
  eb.registerHandler(address, (err, msg) => {
    if (!err) received.set(msg.body.marker, msg);
  });
  for (const kind of ['send', 'publish']) {
    const msg = await retryUntil(() => {
      const marker = randomUUID();
      eb[kind](address, { marker, kind });
      return [...received.values()].find((m) => m.body.kind === kind);
    }, `a ${kind} to ${address} to come back`);
    assert.equal(msg.address, address);
  }
});

test('request-reply with svc.echo', async () => {
  const question = { question: randomUUID() };
  const reply = await bounded(new Promise((resolve, reject) => {
    eb.send('svc.echo', question, (err, msg) => (err ? reject(new Error(JSON.stringify(err))) : resolve(msg)));
  }), WAIT_MS, 'the svc.echo reply');
  assert.deepEqual(reply.body, question);
  assert.ok(reply.headers['busbar-node'], 'the reply names the node that answered');
});

test('registering a non-permitted address is denied', async () => {
  // svc.echo is inbound only: a client must not be able to intercept requests meant for the service.
  await expectDenied(() => eb.registerHandler('svc.echo', () => assert.fail('must not receive on svc.echo')));
});

test('sending to a non-permitted address is denied', async () => {
  // busbar.nodes is outbound only: a client must not be able to fake a node's heartbeat.
  await expectDenied(() => eb.send('busbar.nodes', { nodeId: 'fake' }));
  await expectDenied(() => eb.publish('internal.secret', { x: 1 }));
});

/** Runs {@code action} and waits for the next error to be {"type":"err","body":"access_denied"}. */
async function expectDenied(action) {
  errors.length = 0;
  const arrived = new Promise((resolve) => { errorWaiter = resolve; });
  action();
  await bounded(arrived, WAIT_MS, 'an access_denied error');
  errorWaiter = null;
  assert.deepEqual(errors.shift(), { type: 'err', body: 'access_denied' });
}

/** Calls {@code attempt} every 300 ms until it returns something, for at most PROPAGATION_MS. */
async function retryUntil(attempt, what) {
  const deadline = Date.now() + PROPAGATION_MS;
  while (Date.now() < deadline) {
    const result = await attempt();
    if (result) return result;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out after ${PROPAGATION_MS} ms waiting for ${what}`);
}

function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

import test from 'ava';
import { ConfigError } from '../shared/config/config-error.ts';
import { isAppError } from '../shared/errors.ts';
import { Resource } from '../shared/lifecycle/resource.ts';
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, runDaemon } from '../shared/process/run-daemon.ts';
import {
  REPLICATION_THREADPOOL_SIZE,
  THREADPOOL_ENV,
  threadpoolSize,
  withReplicationThreadpool,
} from '../shared/process/threadpool.ts';

class Part {
  constructor(
    readonly name: string,
    readonly events: string[],
    readonly failClose = false,
  ) {}
  async close(): Promise<void> {
    this.events.push(`close ${this.name}`);
    if (this.failClose) throw new Error(`${this.name} would not close`);
  }
}

class Thing extends Resource {
  opens = 0;
  closes = 0;
  constructor(
    readonly events: string[],
    readonly failAt: string | null = null,
    readonly failClose: string | null = null,
  ) {
    super();
  }
  protected override async _open(): Promise<void> {
    this.opens++;
    for (const name of ['a', 'b', 'c']) {
      if (this.failAt === name) throw new Error(`cannot open ${name}`);
      this.events.push(`open ${name}`);
      this.own(new Part(name, this.events, this.failClose === name));
    }
  }
  protected override async _close(): Promise<void> {
    this.closes++;
    this.events.push('close self');
  }
}

test('resource: ready() and close() are memoised; parts close last-opened-first, then the resource', async (t) => {
  const events: string[] = [];
  const thing = new Thing(events);
  await Promise.all([thing.ready(), thing.ready()]);
  t.is(thing.opens, 1);
  t.true(thing.opened);
  t.is(thing.ready(), thing.ready());
  await Promise.all([thing.close(), thing.close()]);
  t.is(thing.closes, 1);
  t.true(thing.closed);
  t.deepEqual(events, ['open a', 'open b', 'open c', 'close c', 'close b', 'close a', 'close self']);
  const again = await t.throwsAsync(thing.ready());
  t.true(isAppError(again, 'shutting_down'), 'ready() after close() refuses');
  const never = new Thing([]);
  await never.close();
  t.true(isAppError(await t.throwsAsync(never.ready()), 'shutting_down'), 'also when it was never opened');
  t.is(never.opens, 0);
});

test('resource: a failed ready() closes what it had opened, in reverse, before it rejects', async (t) => {
  const events: string[] = [];
  const thing = new Thing(events, 'c');
  await t.throwsAsync(thing.ready(), { message: 'cannot open c' });
  t.deepEqual(events, ['open a', 'open b', 'close b', 'close a', 'close self']);
  t.true(thing.closing && thing.closed);
  await thing.close();
  t.is(thing.closes, 1, 'a later close() is the same close');
});

test('resource: close() during ready() waits for the open, then undoes it; a part failing to close does not keep the others open', async (t) => {
  const events: string[] = [];
  const thing = new Thing(events, null, 'b');
  const opening = thing.ready();
  const closing = thing.close();
  t.true(thing.closeSignal.aborted, 'long waits in _open see the close at once');
  await t.throwsAsync(opening);
  await t.throwsAsync(closing, { message: 'b would not close' });
  t.deepEqual(events, ['open a', 'open b', 'open c', 'close c', 'close b', 'close a', 'close self']);
});

function fakeProcess() {
  const handlers = new Map<string, () => void>();
  const exits: number[] = [];
  const stderr: string[] = [];
  let exited: () => void = () => {};
  const exitedOnce = new Promise<void>((r) => {
    exited = r;
  });
  return {
    proc: {
      on: (signal: string, fn: () => void) => handlers.set(signal, fn),
      exit: (code: number) => {
        exits.push(code);
        exited();
      },
      stderr: { write: (text: string) => stderr.push(text) },
    },
    handlers,
    exits,
    stderr,
    exitedOnce,
  };
}

const silent = { info() {}, warn() {}, error() {}, fatal() {} };

test('runDaemon: ready, then SIGTERM closes once and exits 0', async (t) => {
  const f = fakeProcess();
  const events: string[] = [];
  const thing = new Thing(events);
  let started = 0;
  await runDaemon({
    name: 'thing',
    create: () => ({ daemon: thing, logger: silent }),
    started: () => void started++,
    process: f.proc,
  });
  t.true(thing.opened);
  t.is(started, 1);
  f.handlers.get('SIGTERM')!();
  f.handlers.get('SIGINT')!();
  await f.exitedOnce;
  t.deepEqual(f.exits, [EXIT_OK]);
  t.is(thing.closes, 1);
});

test('runDaemon: a bad configuration prints its message and exits 2; a failed start closes and exits 1', async (t) => {
  const config = fakeProcess();
  await runDaemon({
    name: 'thing',
    create: () => {
      throw new ConfigError('Invalid configuration:\n  port: too large');
    },
    process: config.proc,
  });
  t.deepEqual(config.exits, [EXIT_CONFIG]);
  t.regex(config.stderr.join(''), /port: too large/);

  const failing = fakeProcess();
  const thing = new Thing([], 'b');
  const fatal: string[] = [];
  await runDaemon({
    name: 'thing',
    create: () => ({ daemon: thing, logger: { ...silent, fatal: (_o: object, msg: string) => void fatal.push(msg) } }),
    started: () => t.fail('not started'),
    process: failing.proc,
  });
  t.deepEqual(failing.exits, [EXIT_FAILURE]);
  t.deepEqual(fatal, ['thing failed to start']);
  t.true(thing.closed);
});

test('runDaemon: started without a thread pool for replication, the daemon says how to start it', async (t) => {
  const warnings = async (env: NodeJS.ProcessEnv) => {
    const f = fakeProcess();
    const said: string[] = [];
    await runDaemon({
      name: 'thing',
      create: () => ({
        daemon: new Thing([]),
        logger: { ...silent, warn: (_o: object, msg: string) => void said.push(msg) },
      }),
      process: { ...f.proc, env },
    });
    f.handlers.get('SIGTERM')!();
    await f.exitedOnce;
    return said;
  };
  const [unset] = await warnings({});
  t.regex(unset ?? '', new RegExp(`${THREADPOOL_ENV}=${REPLICATION_THREADPOOL_SIZE}`));
  t.deepEqual(await warnings({ [THREADPOOL_ENV]: String(REPLICATION_THREADPOOL_SIZE) }), []);
  t.deepEqual(await warnings({ [THREADPOOL_ENV]: '64' }), [], 'a larger pool is the operator’s choice');
});

test('thread pool: the venue kit’s environment gets replication’s size unless it names one; sizes as libuv reads them', (t) => {
  t.is(withReplicationThreadpool({ PATH: '/bin' })[THREADPOOL_ENV], String(REPLICATION_THREADPOOL_SIZE));
  t.is(withReplicationThreadpool({ [THREADPOOL_ENV]: '4' })[THREADPOOL_ENV], '4');
  t.is(withReplicationThreadpool({ [THREADPOOL_ENV]: ' ' })[THREADPOOL_ENV], String(REPLICATION_THREADPOOL_SIZE));
  t.is(threadpoolSize({}), 4);
  t.is(threadpoolSize({ [THREADPOOL_ENV]: '' }), 1);
  t.is(threadpoolSize({ [THREADPOOL_ENV]: '0' }), 1);
  t.is(threadpoolSize({ [THREADPOOL_ENV]: 'lots' }), 1);
  t.is(threadpoolSize({ [THREADPOOL_ENV]: '-1' }), 1024);
  t.is(threadpoolSize({ [THREADPOOL_ENV]: '5000' }), 1024);
  t.is(threadpoolSize({ [THREADPOOL_ENV]: ' 16' }), 16);
});

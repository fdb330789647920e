// The receiver's start/stop state machine with a stand-in for the server: the order of steps, one start
// per settings change however it is heard, and nothing left listening after a dispose.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ReceiverLifecycle,
  type ListenSettings,
  type ReceiverState,
  type StartNotice,
} from '../../../src/otlp/receiverLifecycle';

class PortInUse extends Error {}

/** A fake world: which ports are taken, what is listening, and every notice the user would have seen. */
function world(initial: Partial<ListenSettings> = {}) {
  let settings: ListenSettings = { host: '127.0.0.1', port: 4318, maxRequestBytes: 1024, ...initial };
  const taken = new Set<number>();
  const listening = new Set<number>();
  const notices: { port: number; notice: StartNotice }[] = [];
  const states: ReceiverState['state'][] = [];
  let listens = 0;
  let release: (() => void) | undefined;
  let holdNext = false;
  const lifecycle = new ReceiverLifecycle({
    settings: () => settings,
    listen: async (s) => {
      listens++;
      if (holdNext) {
        holdNext = false;
        await new Promise<void>((r) => (release = r));
      }
      if (taken.has(s.port) || listening.has(s.port)) throw new PortInUse(`port ${s.port}`);
      listening.add(s.port);
      return { host: s.host, port: s.port, stop: async () => void listening.delete(s.port) };
    },
    failed: async (_err, s, notice) => {
      if (notice !== 'never') notices.push({ port: s.port, notice });
      return { state: 'portInUse', host: s.host, port: s.port };
    },
    changed: (s) => states.push(s.state),
  });
  return {
    lifecycle,
    taken,
    listening,
    notices,
    states,
    get listens() {
      return listens;
    },
    setSettings(next: Partial<ListenSettings>) {
      settings = { ...settings, ...next };
    },
    /** The next listen() waits until release() is called. */
    holdNextListen() {
      holdNext = true;
    },
    release() {
      release?.();
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ReceiverLifecycle', () => {
  it('starts, stops and starts again, each step after the one before', async () => {
    const w = world();
    await w.lifecycle.start();
    assert.equal(w.lifecycle.state.state, 'listening');
    assert.deepEqual([...w.listening], [4318]);
    await w.lifecycle.start();
    assert.equal(w.listens, 1, 'a second start while listening does nothing');
    await w.lifecycle.stop();
    assert.equal(w.lifecycle.state.state, 'stopped');
    assert.deepEqual([...w.listening], []);
    await w.lifecycle.start();
    assert.deepEqual(w.states, ['starting', 'listening', 'stopped', 'starting', 'listening']);
  });

  it('a dispose while a start is in flight leaves nothing listening', async () => {
    const w = world();
    w.holdNextListen();
    const starting = w.lifecycle.start();
    await tick();
    assert.equal(w.lifecycle.state.state, 'starting');
    const disposed = w.lifecycle.dispose();
    w.release();
    await Promise.all([starting, disposed]);
    assert.deepEqual([...w.listening], [], 'the server that finished starting was stopped');
    assert.equal(w.lifecycle.state.state, 'stopped');
    await w.lifecycle.start();
    assert.deepEqual([...w.listening], [], 'nothing starts after dispose');
  });

  it('a port written by a command and heard by the settings listener starts the receiver once', async () => {
    for (const order of ['listener first', 'command first'] as const) {
      const w = world();
      w.taken.add(4318);
      await w.lifecycle.start();
      assert.equal(w.lifecycle.state.state, 'portInUse');
      assert.equal(w.notices.length, 1);
      // "Use Port 4319" / Change Receiver Port: the setting is written, and both paths react.
      w.setSettings({ port: 4319 });
      w.taken.add(4319); // the new port is taken too: each start would tell the user once
      const steps =
        order === 'listener first'
          ? [w.lifecycle.settingsChanged(), w.lifecycle.useNewSettings()]
          : [w.lifecycle.useNewSettings(), w.lifecycle.settingsChanged()];
      await Promise.all(steps);
      assert.equal(w.listens, 2, `${order}: one start on the new port`);
      assert.deepEqual(
        w.notices.map((n) => n.port),
        [4318, 4319],
        `${order}: one notice per port`,
      );
    }
  });

  it('a settings change restarts a running receiver on the new values and leaves a stopped one stopped', async () => {
    const w = world();
    await w.lifecycle.start();
    w.setSettings({ port: 5000 });
    await w.lifecycle.settingsChanged();
    assert.deepEqual([...w.listening], [5000]);
    w.setSettings({ maxRequestBytes: 2048 });
    await w.lifecycle.settingsChanged();
    assert.equal(w.listens, 3, 'a size limit change restarts too');
    w.setSettings({ grpcPort: 4317 });
    await w.lifecycle.settingsChanged();
    w.setSettings({ grpcPort: undefined });
    await w.lifecycle.settingsChanged();
    assert.equal(w.listens, 5, 'turning gRPC on and off restarts');
    await w.lifecycle.settingsChanged();
    assert.equal(w.listens, 5, 'no change, no restart');
    await w.lifecycle.stop();
    w.setSettings({ port: 5001 });
    await w.lifecycle.settingsChanged();
    assert.equal(w.lifecycle.state.state, 'stopped');
  });

  it('a command that writes new settings starts a stopped receiver', async () => {
    const w = world();
    w.setSettings({ port: 6000 });
    await w.lifecycle.useNewSettings();
    assert.deepEqual([...w.listening], [6000]);
  });

  it('passes the notice along: a window start does not tell, and a failed step does not stop the queue', async () => {
    const w = world();
    w.taken.add(4318);
    await w.lifecycle.start('unlessOtherWindow');
    assert.deepEqual(w.notices, [{ port: 4318, notice: 'unlessOtherWindow' }]);
    await w.lifecycle.start('never');
    assert.equal(w.notices.length, 1);
    w.taken.delete(4318);
    await w.lifecycle.start();
    assert.equal(w.lifecycle.state.state, 'listening');
  });
});

import { describe, expect, it } from 'vitest';
import { RequestStateSealer, type StateBinding } from '../src/mcp/request-state.ts';

const binding: StateBinding = { tenantId: 't1', credential: 'k1', target: 'tools/call note_delete', args: { key: 'a' } };
const round = { asked: ['confirm'], answers: {}, data: { step: 1 } };

describe('the requestState sealer', () => {
  it('opens its own state for the same binding', async () => {
    const sealer = new RequestStateSealer('s'.repeat(32), 60_000);
    expect(await sealer.open(await sealer.seal(binding, round), binding)).toEqual(round);
  });

  it('refuses a state past its expiry', async () => {
    const sealer = new RequestStateSealer('s'.repeat(32), 1);
    const state = await sealer.seal(binding, round);
    await new Promise((r) => setTimeout(r, 5));
    expect(await sealer.open(state, binding)).toBeUndefined();
  });

  it('refuses a state sealed with another secret, and accepts it on another instance with the same one', async () => {
    const state = await new RequestStateSealer('a'.repeat(32), 60_000).seal(binding, round);
    expect(await new RequestStateSealer('b'.repeat(32), 60_000).open(state, binding)).toBeUndefined();
    expect(await new RequestStateSealer(undefined, 60_000).open(state, binding)).toBeUndefined();
    expect(await new RequestStateSealer('a'.repeat(32), 60_000).open(state, binding)).toEqual(round);
  });

  it('refuses a state for any other tenant, credential, target or arguments', async () => {
    const sealer = new RequestStateSealer('s'.repeat(32), 60_000);
    const state = await sealer.seal(binding, round);
    for (const other of [{ tenantId: 't2' }, { credential: 'k2' }, { target: 'tools/call note_put' }, { args: { key: 'b' } }]) {
      expect(await sealer.open(state, { ...binding, ...other }), JSON.stringify(other)).toBeUndefined();
    }
  });

  it('refuses garbage without throwing', async () => {
    const sealer = new RequestStateSealer('s'.repeat(32), 60_000);
    for (const junk of ['', '.', 'a.b.c', 'not base64!.x', `${btoa('{}')}.AAAA`]) expect(await sealer.open(junk, binding)).toBeUndefined();
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { roleAtLeast } from './roles.js';
import { hashToken, TokenStore } from './token-store.js';

describe('TokenStore', () => {
  let dir: string;
  let db: Level<string, unknown>;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'thalogos-tokens-'));
    db = new Level<string, unknown>(path.join(dir, 'db'), { valueEncoding: 'json' });
    await db.open();
  });
  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('authenticates created tokens and never stores the secret', async () => {
    const store = await TokenStore.open(db);
    expect(store.isEmpty()).toBe(true);
    const { token, record } = await store.create({ name: 'vera', role: 'viewer', createdBy: 'admin' });
    expect(token).toMatch(/^thg_[A-Za-z0-9_-]{43}$/);
    expect(store.authenticate(token)).toEqual({ tokenId: record.id, name: 'vera', role: 'viewer' });
    expect(store.authenticate(`${token}x`)).toBeNull();
    await db.close();
    const raw = readdirSync(path.join(dir, 'db')).map((file) => readFileSync(path.join(dir, 'db', file)).toString('latin1')).join('');
    // The files are readable as written (the hash is there), and the secret is not.
    expect(raw).toContain(hashToken(token));
    expect(raw).not.toContain(token);
    expect(raw).not.toContain(token.slice(4));
    await db.open();
  });

  it('survives a reopen and honours revocation', async () => {
    const store = await TokenStore.open(db);
    const { token, record } = await store.create({ name: 'oli', role: 'operator', createdBy: 'admin' });
    const reopened = await TokenStore.open(db);
    expect(reopened.authenticate(token)?.role).toBe('operator');
    expect((await reopened.revoke(record.id))?.record.revokedAt).toBeTruthy();
    expect((await reopened.revoke(record.id))?.changed).toBe(false);
    expect(reopened.authenticate(token)).toBeNull();
    expect((await TokenStore.open(db)).authenticate(token)).toBeNull();
    expect(await reopened.revoke('no-such-id')).toBeNull();
  });

  it('uses a given secret (THALOGOS_ADMIN_TOKEN) and does not duplicate it', async () => {
    const store = await TokenStore.open(db);
    const secret = 'automation-token-0123456789';
    await store.create({ name: 'admin', role: 'admin', createdBy: 'bootstrap', secret });
    await store.create({ name: 'admin', role: 'admin', createdBy: 'bootstrap', secret });
    expect(store.list()).toHaveLength(1);
    expect(store.has(secret)).toBe(true);
  });

  it('orders roles viewer < reviewer < operator < admin', () => {
    expect(roleAtLeast('admin', 'operator')).toBe(true);
    expect(roleAtLeast('reviewer', 'viewer')).toBe(true);
    expect(roleAtLeast('reviewer', 'operator')).toBe(false);
    expect(roleAtLeast('viewer', 'reviewer')).toBe(false);
  });
});

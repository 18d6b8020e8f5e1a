// OpenPGP signing for commits (commit-object.ts) and checkpoint tags. The key is
// parsed and decrypted once per worker and reused.
import * as openpgp from 'openpgp';
import { GitEngineError } from './errors.js';

export interface SigningKey { armoredPrivateKey: string; passphrase?: string }

const keys = new Map<string, Promise<openpgp.PrivateKey>>();

async function loadKey(key: SigningKey): Promise<openpgp.PrivateKey> {
  const id = `${key.armoredPrivateKey}\0${key.passphrase ?? ''}`;
  let p = keys.get(id);
  if (!p) {
    p = (async () => {
      const privateKey = await openpgp.readPrivateKey({ armoredKey: key.armoredPrivateKey });
      if (privateKey.isDecrypted()) return privateKey;
      return openpgp.decryptKey({ privateKey, passphrase: key.passphrase ?? '' });
    })();
    keys.set(id, p);
    p.catch(() => keys.delete(id));
  }
  return p;
}

/** Detached, armored signature over the exact payload bytes (binary mode, as gpg does for git). */
export async function signPayload(key: SigningKey, payload: string): Promise<string> {
  try {
    const privateKey = await loadKey(key);
    const message = await openpgp.createMessage({ binary: Buffer.from(payload, 'utf8') });
    const signature = await openpgp.sign({ message, signingKeys: privateKey, detached: true, format: 'armored' });
    return String(signature).replace(/\r\n/g, '\n');
  } catch (err) {
    throw new GitEngineError('SIGNING_FAILED', `signing failed: ${(err as Error).message}`);
  }
}

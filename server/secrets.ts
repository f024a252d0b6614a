import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** AES-256-GCM for secrets at rest (the Mango salt). Ciphertext: v1:<iv>:<tag>:<data>, base64. */
export class SecretBox {
  private constructor(private key: Buffer) {}

  /** RELAY_SECRET_KEY when set; else a random key generated once into DATA_DIR (owner-only). */
  static fromConfig(secretKey: string | null, dataDir: string): SecretBox {
    if (secretKey) return new SecretBox(createHash('sha256').update(secretKey).digest());
    const file = join(dataDir, 'relay-secret.key');
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    }
    return new SecretBox(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return ['v1', iv.toString('base64'), c.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  decrypt(box: string): string {
    const [v, iv, tag, data] = box.split(':');
    if (v !== 'v1' || !data) throw new Error('Unknown secret format');
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(data, 'base64')), d.final()]).toString('utf8');
  }
}

/** That a secret is stored, and nothing of it: not one character goes back to any client. */
export function maskSecret(s: string | null): string {
  return s ? '••••••••' : '';
}

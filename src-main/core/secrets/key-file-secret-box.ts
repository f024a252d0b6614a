/**
 * SecretBox over AES-256-GCM with a random key kept in an owner-only file (mode 0600) next
 * to the data. Used in browser mode and tests where Electron's safeStorage does not exist;
 * it protects against secrets lying in clear in the database and its backups, not against
 * someone who can read the user's own files.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SecretBox } from './secret-box';

export const KEY_FILE_NAME = 'secret.key';
const PREFIX = 'k1:';
const IV_LEN = 12;
const TAG_LEN = 16;

export class KeyFileSecretBox implements SecretBox {
  private key: Buffer | null = null;
  readonly keyPath: string;

  constructor(dir: string, fileName = KEY_FILE_NAME) {
    this.keyPath = path.join(dir, fileName);
  }

  isAvailable(): boolean {
    return true;
  }

  async encrypt(plain: string): Promise<string> {
    const key = this.loadKey();
    const iv = crypto.randomBytes(IV_LEN);
    const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  async decrypt(cipherText: string): Promise<string> {
    if (!cipherText.startsWith(PREFIX)) throw new Error('Неизвестный формат зашифрованных данных');
    const raw = Buffer.from(cipherText.slice(PREFIX.length), 'base64');
    if (raw.length < IV_LEN + TAG_LEN) throw new Error('Повреждённые зашифрованные данные');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.loadKey(), raw.subarray(0, IV_LEN));
    decipher.setAuthTag(raw.subarray(IV_LEN, IV_LEN + TAG_LEN));
    return Buffer.concat([decipher.update(raw.subarray(IV_LEN + TAG_LEN)), decipher.final()]).toString('utf8');
  }

  private loadKey(): Buffer {
    if (this.key) return this.key;
    fs.mkdirSync(path.dirname(this.keyPath), { recursive: true, mode: 0o700 });
    try {
      // 'wx' + mode: created owner-only in one step, and never overwrites an existing key.
      const fd = fs.openSync(this.keyPath, 'wx', 0o600);
      try {
        fs.writeSync(fd, crypto.randomBytes(32).toString('base64'));
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (process.platform !== 'win32') {
      // A key file someone loosened (copy, restore from backup) is tightened again.
      const mode = fs.statSync(this.keyPath).mode & 0o777;
      if (mode & 0o077) fs.chmodSync(this.keyPath, 0o600);
    }
    const key = Buffer.from(fs.readFileSync(this.keyPath, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`Ключ шифрования повреждён: ${this.keyPath}`);
    this.key = key;
    return key;
  }
}

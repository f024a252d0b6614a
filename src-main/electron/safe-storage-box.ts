/**
 * SecretBox over Electron's safeStorage (DPAPI on Windows, Keychain on macOS, libsecret or
 * KWallet on Linux). Electron 40 has only the synchronous API; it runs in the main process
 * and each call is a few microseconds to milliseconds, so wrapping it in promises is enough.
 * The ciphertext (base64) is what the core persists, in its SQLite file.
 */
import { safeStorage } from 'electron';
import type { SecretBox } from '../core/secrets/secret-box';

const PREFIX = 's1:';

export class SafeStorageSecretBox implements SecretBox {
  isAvailable(): boolean {
    if (!safeStorage.isEncryptionAvailable()) return false;
    // Linux without a keyring falls back to a hard-coded key: that is not protection.
    if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') return false;
    return true;
  }

  async encrypt(plain: string): Promise<string> {
    return PREFIX + safeStorage.encryptString(plain).toString('base64');
  }

  async decrypt(cipher: string): Promise<string> {
    if (!cipher.startsWith(PREFIX)) throw new Error('Неизвестный формат зашифрованных данных');
    return safeStorage.decryptString(Buffer.from(cipher.slice(PREFIX.length), 'base64'));
  }
}

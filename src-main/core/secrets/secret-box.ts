/**
 * Every secret the app keeps (relay token, mail passwords, OAuth tokens) is stored only as
 * the ciphertext a SecretBox produced. Electron's safeStorage backs it in the app
 * (src-main/electron/safe-storage-box.ts); a key file backs it in browser mode and tests.
 */
export interface SecretBox {
  /** Returns printable ciphertext (safe to put in SQLite or JSON). */
  encrypt(plain: string): Promise<string>;
  decrypt(cipher: string): Promise<string>;
  /** False when the OS offers no protection (e.g. Linux without a keyring): callers then refuse to store secrets. */
  isAvailable(): boolean;
}

export class SecretBoxUnavailableError extends Error {
  readonly code = 'secrets-unavailable';
  constructor() {
    super('Защищённое хранилище паролей недоступно в этой системе');
  }
}

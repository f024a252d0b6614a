import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { SecureContextOptions, Server as TlsServer } from 'node:tls';
import type { Logger } from '../log';

/**
 * Mango's senders speak TLS 1.2 only (mango-api.md §1.1), so 1.2 must stay offered; 1.3 is
 * offered too for everyone else. Node's default cipher list (ECDHE + AES-GCM/CHACHA20 first)
 * is kept.
 */
export const TLS_MIN_VERSION = 'TLSv1.2' as const;

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsMaterial extends SecureContextOptions {
  cert: Buffer;
  key: Buffer;
  minVersion: typeof TLS_MIN_VERSION;
}

/** Both TLS_CERT and TLS_KEY, or neither (a half-configured TLS is a start error). */
export function tlsFilesFromConfig(config: { tlsCert: string | null; tlsKey: string | null }): TlsFiles | null {
  if (!config.tlsCert && !config.tlsKey) return null;
  if (!config.tlsCert || !config.tlsKey) throw new Error('TLS_CERT and TLS_KEY must be set together');
  return { certFile: config.tlsCert, keyFile: config.tlsKey };
}

/** Reads and checks the PEM files: the key must belong to the certificate. */
export function readTlsMaterial(files: TlsFiles): { material: TlsMaterial; notAfter: Date; fingerprint: string } {
  const cert = readFileSync(files.certFile);
  const key = readFileSync(files.keyFile);
  const x509 = new X509Certificate(cert);
  if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error(`TLS_KEY ${files.keyFile} does not match the certificate in ${files.certFile}`);
  return { material: { cert, key, minVersion: TLS_MIN_VERSION }, notAfter: new Date(x509.validTo), fingerprint: x509.fingerprint256 };
}

/**
 * Owns the server's certificate: the files are read at start and again on `reload()` (SIGHUP),
 * swapped in with `setSecureContext` so the listener and open connections stay up. A reload
 * that fails (missing file, key mismatch) keeps the previous certificate and says why.
 */
export class TlsReloader {
  notAfter: Date;
  fingerprint: string;
  reloads = { ok: 0, failed: 0 };
  private server: TlsServer | null = null;

  constructor(
    readonly files: TlsFiles,
    readonly initial: TlsMaterial,
    info: { notAfter: Date; fingerprint: string },
    private log: Logger,
  ) {
    this.notAfter = info.notAfter;
    this.fingerprint = info.fingerprint;
  }

  static load(files: TlsFiles, log: Logger): TlsReloader {
    const r = readTlsMaterial(files);
    return new TlsReloader(files, r.material, r, log);
  }

  attach(server: TlsServer): void {
    this.server = server;
  }

  reload(): { ok: true; fingerprint: string; notAfter: Date } | { ok: false; error: string } {
    try {
      if (!this.server) throw new Error('no TLS server');
      const r = readTlsMaterial(this.files);
      this.server.setSecureContext(r.material);
      this.notAfter = r.notAfter;
      this.fingerprint = r.fingerprint;
      this.reloads.ok++;
      this.log.info({ certFile: this.files.certFile, notAfter: r.notAfter.toISOString(), fingerprint: r.fingerprint }, 'TLS certificate reloaded');
      return { ok: true, fingerprint: r.fingerprint, notAfter: r.notAfter };
    } catch (err) {
      this.reloads.failed++;
      const error = (err as Error).message;
      this.log.error({ certFile: this.files.certFile, error }, 'TLS certificate reload failed; keeping the previous certificate');
      return { ok: false, error };
    }
  }
}

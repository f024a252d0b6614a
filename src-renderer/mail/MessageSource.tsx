/**
 * «Показать оригинал» and «Сохранить как файл (.eml)». The core fetches the source from the server
 * (`mail:messages:source`); here it is only ever text: a React text node in a <pre>, never parsed
 * as HTML, so a <script> in a mail shows as the characters it is.
 */
import { useEffect, useState } from 'react';
import { copyText } from '../actions';
import { call, toAppError } from '../api';
import { Modal } from '../components/Modal';
import { toast } from '../stores/toasts';
import { base64ToBytes, decodeTextBytes } from '../text-file';
import { M, formatSize } from './strings';
import { downloadBase64 } from './store';

type Source = { filename: string; size: number; dataBase64: string };

/** More than this is not put in the page (a 25 MB <pre> freezes it); copy and save take it all. */
const SHOW_MAX_CHARS = 1_000_000;

/** Mail is 7-bit or UTF-8 nowadays; old Russian mail may carry raw windows-1251 bytes. */
export function decodeSource(dataBase64: string): string {
  return decodeTextBytes(base64ToBytes(dataBase64));
}

/** Saves the source as «<тема>.eml» through the browser's download (Electron: its save dialog). */
export function saveSource(s: Source): void {
  downloadBase64(s.filename, 'message/rfc822', s.dataBase64);
}

export async function downloadEml(messageId: number): Promise<void> {
  saveSource(await call('mail:messages:source', { id: messageId }));
}

export function SourceDialog({ messageId, onClose }: { messageId: number; onClose: () => void }) {
  const [src, setSrc] = useState<(Source & { text: string }) | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    call('mail:messages:source', { id: messageId })
      .then((s) => live && setSrc({ ...s, text: decodeSource(s.dataBase64) }))
      .catch((e) => live && setError(toAppError(e).message));
    return () => {
      live = false;
    };
  }, [messageId]);

  const cut = src !== null && src.text.length > SHOW_MAX_CHARS;
  return (
    <Modal title={M.reader.sourceTitle} onClose={onClose} wide>
      <div className="mail-source" data-testid="mail-source">
        {error ? (
          <div className="error-box" data-testid="mail-source-error">{error}</div>
        ) : !src ? (
          <p className="muted">{M.reader.sourceLoading}</p>
        ) : (
          <>
            <div className="mail-source-bar">
              <span className="muted small grow">
                {M.reader.sourceNote} {src.filename}, {formatSize(src.size)}.
              </span>
              <button
                type="button"
                className="btn btn-sm"
                data-testid="mail-source-copy"
                onClick={() => void copyText(src.text).then((ok) => (ok ? toast.ok(M.reader.copied) : toast.error(M.reader.copyFailed)))}
              >
                {M.reader.copy}
              </button>
              <button type="button" className="btn btn-sm" data-testid="mail-source-save" onClick={() => saveSource(src)}>
                {M.reader.save} .eml
              </button>
            </div>
            {cut ? <div className="warn-box small">{M.reader.sourceCut(SHOW_MAX_CHARS, src.text.length)}</div> : null}
            <pre className="mail-source-text" data-testid="mail-source-text" tabIndex={0}>
              {cut ? src.text.slice(0, SHOW_MAX_CHARS) : src.text}
            </pre>
          </>
        )}
      </div>
    </Modal>
  );
}

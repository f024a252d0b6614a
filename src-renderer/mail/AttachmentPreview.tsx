/**
 * Attachment previews in the reader: thumbnails of the message's pictures under it, a dialog
 * with the full picture (←/→ between them, «Скачать»), and text files shown as text. Pictures
 * are blob: URLs of bytes sniffed as images (the CSP admits blob: images; nothing else is
 * loosened), revoked when the reader moves on. Text is a React text node, never parsed as HTML.
 */
import { useEffect, useState } from 'react';
import { call, toAppError } from '../api';
import { Modal } from '../components/Modal';
import { saveBlob } from '../download';
import type { MailAttachmentView } from '../../src-shared/ipc/mail';
import { M, formatSize } from './strings';
import { downloadBase64 } from './store';
import { base64ToBytes } from '../text-file';
import { PREVIEW_TEXT_MAX_BYTES, decodeTextPreview, previewImageType, thumbnailCandidates } from './preview';

export interface PreviewImage {
  index: number;
  filename: string;
  size: number;
  blob: Blob;
  url: string;
}

/**
 * The message's pictures, fetched when it is opened: one at a time, since each may be a trip to
 * the IMAP server, and stopped (URLs revoked) as soon as another message is shown.
 */
export function useImagePreviews(messageId: number | null, attachments: MailAttachmentView[]): PreviewImage[] {
  const [images, setImages] = useState<PreviewImage[]>([]);
  // cid: pictures are already in the body: not shown twice.
  const wanted = messageId === null ? [] : thumbnailCandidates(attachments.filter((a) => !a.inline));
  const key = `${messageId}:${wanted.map((a) => a.index).join(',')}`;
  useEffect(() => {
    setImages([]);
    if (messageId === null || !wanted.length) return;
    let live = true;
    const urls: string[] = [];
    void (async () => {
      for (const a of wanted) {
        try {
          const r = await call('mail:attachments:get', { messageId, index: a.index });
          if (!live) return;
          const bytes = base64ToBytes(r.dataBase64);
          const type = previewImageType(a, bytes);
          if (!type) continue; // not really a picture (or SVG in disguise): its chip is enough
          const blob = new Blob([bytes], { type });
          const url = URL.createObjectURL(blob);
          urls.push(url);
          setImages((list) => [...list, { index: a.index, filename: a.filename, size: bytes.length, blob, url }]);
        } catch {
          if (!live) return;
          // Offline or gone from the server: the chip still offers «Скачать».
        }
      }
    })();
    return () => {
      live = false;
      for (const u of urls) URL.revokeObjectURL(u);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return images;
}

export function Thumbnails({ images, onOpen }: { images: PreviewImage[]; onOpen: (i: number) => void }) {
  if (!images.length) return null;
  return (
    <div className="mail-thumbs" data-testid="mail-thumbs">
      {images.map((img, i) => (
        <button type="button" key={img.index} className="mail-thumb" title={img.filename} aria-label={M.reader.previewOf(img.filename)} onClick={() => onOpen(i)} data-testid="mail-thumb">
          <img src={img.url} alt={img.filename} draggable={false} />
        </button>
      ))}
    </div>
  );
}

/** The full picture, fitted to the window; ←/→ go through the message's pictures, Esc closes. */
export function ImageDialog({ images, start, onClose }: { images: PreviewImage[]; start: number; onClose: () => void }) {
  const [at, setAt] = useState(start);
  const n = images.length;
  const go = (d: number) => setAt((x) => (x + d + n) % n);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      e.preventDefault();
      setAt((x) => (x + (e.key === 'ArrowRight' ? 1 : -1) + n) % n);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [n]);
  const img = images[Math.min(at, n - 1)];
  if (!img) return null;
  return (
    <Modal title={img.filename} onClose={onClose} wide>
      <div className="mail-preview" data-testid="mail-preview">
        <div className="mail-preview-bar">
          <span className="muted small grow" data-testid="mail-preview-pos">
            {n > 1 ? `${M.reader.previewPosition(Math.min(at, n - 1) + 1, n)} · ` : ''}
            {formatSize(img.size)}
          </span>
          {n > 1 ? (
            <>
              <button type="button" className="btn btn-sm btn-ghost" onClick={() => go(-1)} title={M.reader.previewPrev} aria-label={M.reader.previewPrev}>←</button>
              <button type="button" className="btn btn-sm btn-ghost" onClick={() => go(1)} title={M.reader.previewNext} aria-label={M.reader.previewNext}>→</button>
            </>
          ) : null}
          <button type="button" className="btn btn-sm" onClick={() => saveBlob(img.blob, img.filename)} data-testid="mail-preview-download">
            {M.reader.download}
          </button>
        </div>
        <div className="mail-preview-stage">
          <img className="mail-preview-img" src={img.url} alt={img.filename} data-testid="mail-preview-img" />
        </div>
      </div>
    </Modal>
  );
}

/** A text file's first megabyte as text (UTF-8, else windows-1251). */
export function TextDialog({ messageId, file, onClose }: { messageId: number; file: MailAttachmentView; onClose: () => void }) {
  const [doc, setDoc] = useState<ReturnType<typeof decodeTextPreview> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    // One byte over the limit tells a cut file from one of exactly 1 MB.
    call('mail:attachments:get', { messageId, index: file.index, maxBytes: PREVIEW_TEXT_MAX_BYTES + 1 })
      .then((r) => live && setDoc(decodeTextPreview(base64ToBytes(r.dataBase64))))
      .catch((e) => live && setError(toAppError(e).message));
    return () => {
      live = false;
    };
  }, [messageId, file.index]);
  const download = () =>
    call('mail:attachments:get', { messageId, index: file.index })
      .then((r) => downloadBase64(r.filename, r.contentType, r.dataBase64))
      .catch((e) => setError(toAppError(e).message));
  return (
    <Modal title={file.filename} onClose={onClose} wide>
      <div className="mail-preview" data-testid="mail-preview">
        <div className="mail-preview-bar">
          <span className="muted small grow">{formatSize(file.size)}</span>
          <button type="button" className="btn btn-sm" onClick={() => void download()} data-testid="mail-preview-download">
            {M.reader.download}
          </button>
        </div>
        {error ? (
          <div className="error-box">{error}</div>
        ) : !doc ? (
          <p className="muted">{M.loading}</p>
        ) : doc.binary ? (
          <div className="warn-box small" data-testid="mail-preview-binary">{M.reader.previewNotText}</div>
        ) : (
          <>
            {doc.cut ? <div className="warn-box small">{M.reader.previewCut}</div> : null}
            <pre className="mail-preview-text" data-testid="mail-preview-text" tabIndex={0}>{doc.text}</pre>
          </>
        )}
      </div>
    </Modal>
  );
}

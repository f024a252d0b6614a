/**
 * One message: header, actions (reply, reply all, forward, move to a folder, delete, flags), HTML sanitized into
 * the sandboxed frame, remote images blocked until allowed for the message or its sender,
 * attachments downloaded, opened or previewed (pictures as thumbnails), and the other messages of its thread. «Ещё ▾» holds the
 * source («Показать оригинал»), «Сохранить как файл (.eml)» and «Печать».
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { call, toAppError } from '../api';
import { formatDateTime } from '../format';
import { href, navigate } from '../router';
import { toast } from '../stores/toasts';
import type { MailAddress, MailAttachmentView, MailFolderView, MailMessageView, MailSummary } from '../../src-shared/ipc/mail';
import { ImageDialog, TextDialog, Thumbnails, useImagePreviews } from './AttachmentPreview';
import { removedToast } from './BulkBar';
import { FolderSelect, spamTarget } from './FolderSelect';
import { MailFrame } from './MailFrame';
import { PrintBody, usePrint } from './MessagePrint';
import { SourceDialog, downloadEml } from './MessageSource';
import { MenuButton } from '../components/Menu';
import { labelKind } from './preview';
import { sanitizeMailHtml, textToHtml } from './sanitize';
import { M, folderTitle, formatSize } from './strings';
import { downloadBase64, useMail } from './store';
import { useBusyAction } from './useBusyAction';
import { useNarrow } from './useNarrow';

/**
 * Below this reader width (the app's default 1100 px window) mark read / flag / spam go into
 * «Ещё ▾», so the toolbar keeps to two rows.
 */
const NARROW_READER_PX = 540;

function addr(a: MailAddress): string {
  return a.name ? `${a.name} <${a.email}>` : a.email;
}

export function Reader({ id, onDeleted }: { id: number; onDeleted: () => void }) {
  const [msg, setMsg] = useState<MailMessageView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [remote, setRemote] = useState<Record<string, string> | null>(null);
  const [thread, setThread] = useState<MailSummary[]>([]);
  const { busy, act } = useBusyAction();
  const tick = useMail((s) => (msg ? (s.changedTick[msg.folderId] ?? 0) : 0));
  const folders = useMail((s) => s.folders);
  const [showSource, setShowSource] = useState(false);
  const { printing, print } = usePrint();
  // Tied to its message: a preview left open never shows over the next one.
  const [preview, setPreview] = useState<{ messageId: number; image?: number; text?: MailAttachmentView } | null>(null);
  const images = useImagePreviews(msg?.id ?? null, msg?.attachments ?? []);
  const article = useRef<HTMLElement>(null);
  const narrow = useNarrow(article, NARROW_READER_PX, [msg !== null, error]);

  useEffect(() => {
    let live = true;
    setError(null);
    call('mail:messages:get', { id, markSeen: true })
      .then((m) => {
        if (!live) return;
        setMsg(m);
        setRemote(null);
        if (m.threadId) void call('mail:messages:thread', { threadId: m.threadId }).then((t) => live && setThread(t));
        else setThread([]);
      })
      .catch((e) => live && setError(toAppError(e).message));
    return () => {
      live = false;
    };
  }, [id]);

  // Flags changed elsewhere (another device): refresh the header quietly. Only for the message
  // still asked for: opening an unread one marks it read, which changes its folder while `msg`
  // is the previous message, and that late answer must not replace the one just opened.
  const current = useRef(id);
  current.current = id;
  useEffect(() => {
    if (!msg || !tick || msg.id !== id) return;
    void call('mail:messages:get', { id: msg.id })
      .then((m) => m.id === current.current && setMsg(m))
      .catch(() => undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick]);

  const clean = useMemo(() => {
    if (!msg) return null;
    const source = msg.html ?? textToHtml(msg.text);
    return sanitizeMailHtml(source, { inlineImages: msg.inlineImages, remoteImages: remote });
  }, [msg, remote]);

  // Allowed remote images are fetched by the core and come back as data URLs.
  useEffect(() => {
    if (!msg || !clean || !msg.remoteImagesAllowed || remote !== null || !clean.remoteUrls.length) return;
    let live = true;
    call('mail:images:fetch', { messageId: msg.id, urls: clean.remoteUrls })
      .then((r) => live && setRemote(r))
      .catch(() => live && setRemote({}));
    return () => {
      live = false;
    };
  }, [msg, clean, remote]);

  if (error) return <div className="mail-reader"><div className="error-box">{error}</div></div>;
  if (!msg || !clean) return <div className="mail-reader muted mail-empty">{M.loading}</div>;

  const allowImages = (scope: 'message' | 'sender') =>
    act(async () => {
      await call('mail:images:allow', { messageId: msg.id, scope });
      setMsg({ ...msg, remoteImagesAllowed: true });
      setRemote(null);
    });

  const files = msg.attachments.filter((a) => !a.inline);
  // Only this account's folders: the core refuses moves across accounts.
  const targets = folders.filter((f) => f.accountId === msg.accountId && f.id !== msg.folderId);

  // «Спам» files it into Junk; read in Junk, «Не спам» takes it back to the inbox.
  const inJunk = folders.find((f) => f.id === msg.folderId)?.specialUse === '\\Junk';
  // A draft in the mailbox's «Черновики» (ours or a phone's) is finished in the compose form.
  const inDrafts = folders.find((f) => f.id === msg.folderId)?.specialUse === '\\Drafts';
  const continueDraft = () =>
    act(async () => {
      const r = await call('mail:drafts:fromMessage', { messageId: msg.id });
      navigate(`/mail/compose?draft=${r.draftId}`);
    });
  const spamTo = spamTarget(targets, inJunk);

  const moveTo = (f: MailFolderView) =>
    act(async () => {
      const r = await call('mail:messages:move', { ids: [msg.id], folderId: f.id });
      // The same wording as a move from the list or a drop on a folder.
      removedToast(M.bulk.moved(r.moved, folderTitle(f)), r.undoToken);
      onDeleted();
    });

  const toggleSeen = () =>
    act(async () => {
      await call('mail:messages:setFlags', { ids: [msg.id], seen: !msg.seen });
      setMsg({ ...msg, seen: !msg.seen });
    });
  const toggleFlag = () =>
    act(async () => {
      await call('mail:messages:setFlags', { ids: [msg.id], flagged: !msg.flagged });
      setMsg({ ...msg, flagged: !msg.flagged });
    });
  const spamLabel = inJunk ? M.bulk.notSpam : M.bulk.spam;
  // Narrow: the secondary actions head «Ещё ▾» (same test ids), the rest keeps the bar to two rows.
  const folded = narrow
    ? [
        { label: msg.seen ? M.reader.markUnread : M.reader.markRead, testId: 'mail-toggle-seen', onPick: () => void toggleSeen() },
        { label: msg.flagged ? M.reader.unflag : M.reader.flag, testId: 'mail-toggle-flag', onPick: () => void toggleFlag() },
        ...(spamTo ? [{ label: spamLabel, testId: 'mail-spam', onPick: () => void moveTo(spamTo) }] : []),
      ]
    : [];

  return (
    <article className={`mail-reader${narrow ? ' narrow' : ''}`} data-testid="mail-reader" ref={article}>
      <div className="mail-actions" data-testid="mail-actions">
        {inDrafts ? (
          <button type="button" className="btn btn-sm btn-primary" disabled={busy} onClick={() => void continueDraft()} data-testid="mail-continue-draft">
            {M.reader.continueDraft}
          </button>
        ) : null}
        <a className="btn btn-sm" href={href(`/mail/compose?mode=reply&source=${msg.id}`)} data-testid="mail-reply">{M.reader.reply}</a>
        <a className="btn btn-sm" href={href(`/mail/compose?mode=replyAll&source=${msg.id}`)} data-testid="mail-reply-all">{M.reader.replyAll}</a>
        <a className="btn btn-sm" href={href(`/mail/compose?mode=forward&source=${msg.id}`)} data-testid="mail-forward">{M.reader.forward}</a>
        <span className="grow" />
        {narrow ? null : (
          <>
            <button type="button" className="btn btn-sm btn-ghost" disabled={busy} onClick={() => void toggleSeen()} data-testid="mail-toggle-seen">
              {msg.seen ? M.reader.markUnread : M.reader.markRead}
            </button>
            <button type="button" className="btn btn-sm btn-ghost" disabled={busy} onClick={() => void toggleFlag()} data-testid="mail-toggle-flag">
              {msg.flagged ? M.reader.unflag : M.reader.flag}
            </button>
            {spamTo ? (
              <button type="button" className="btn btn-sm btn-ghost" disabled={busy} onClick={() => void moveTo(spamTo)} data-testid="mail-spam">
                {spamLabel}
              </button>
            ) : null}
          </>
        )}
        <FolderSelect folders={targets} disabled={busy} testId="mail-move" onPick={(f) => void moveTo(f)} />
        <button type="button" className="btn btn-sm btn-ghost" disabled={busy} data-testid="mail-delete" onClick={() => act(async () => {
          const r = await call('mail:messages:delete', { ids: [msg.id] });
          removedToast(M.reader.deleted, r.undoToken);
          onDeleted();
        })}>
          {M.reader.delete}
        </button>
        {/* «Ещё ▾»: actions used now and then, kept out of the action bar. */}
        <MenuButton
          label={`${M.reader.more} ▾`}
          title={M.reader.moreTitle}
          buttonClass="btn btn-sm btn-ghost"
          disabled={busy}
          testId="mail-more"
          items={[
            ...folded,
            { label: M.reader.showSource, testId: 'mail-show-source', onPick: () => setShowSource(true) },
            { label: M.reader.saveEml, testId: 'mail-save-eml', onPick: () => void act(() => downloadEml(msg.id)) },
            { label: M.reader.print, testId: 'mail-print', onPick: print },
            ...(msg.from?.email
              ? [{ label: M.rules.createFromMessage, testId: 'mail-create-rule', onPick: () => navigate(`/mail/settings?account=${msg.accountId}&rule-from=${encodeURIComponent(msg.from!.email)}`) }]
              : []),
          ]}
        />
      </div>
      <header className="mail-head">
        <h2 data-testid="mail-subject">{msg.subject || '(без темы)'}</h2>
        <dl className="mail-meta">
          <dt>{M.reader.from}</dt>
          <dd>{msg.from ? addr(msg.from) : '—'}</dd>
          {msg.to.length ? (<><dt>{M.reader.to}</dt><dd>{msg.to.map(addr).join(', ')}</dd></>) : null}
          {msg.cc.length ? (<><dt>{M.reader.cc}</dt><dd>{msg.cc.map(addr).join(', ')}</dd></>) : null}
          <dt>{M.reader.date}</dt>
          <dd>{formatDateTime(msg.date)}</dd>
        </dl>
      </header>
      {clean.blocked > 0 && !msg.remoteImagesAllowed ? (
        <div className="warn-box mail-images" data-testid="mail-images-blocked">
          <span>{M.reader.imagesBlocked(clean.blocked)}</span>
          <button type="button" className="btn btn-sm" onClick={() => void allowImages('message')} data-testid="mail-images-allow">{M.reader.showImages}</button>
          {msg.from ? (
            <button type="button" className="btn btn-sm btn-ghost" onClick={() => void allowImages('sender')}>{M.reader.alwaysFromSender}</button>
          ) : null}
        </div>
      ) : null}
      {files.length ? (
        <div className="mail-attachments" data-testid="mail-attachments">
          <span className="muted small">{M.reader.attachments}:</span>
          {files.map((a) => (
            // Name and size first; the actions wrap under them when the reader is narrow.
            <span className="mail-att" key={a.index}>
              <span className="mail-att-file">
                <span className="mail-att-name" title={a.filename}>{a.filename}</span>
                <span className="muted small mail-att-size">{formatSize(a.size)}</span>
              </span>
              <span className="mail-att-actions">
                <button type="button" className="link-btn" onClick={() => act(async () => {
                  const r = await call('mail:attachments:get', { messageId: msg.id, index: a.index });
                  downloadBase64(r.filename, r.contentType, r.dataBase64);
                })}>{M.reader.download}</button>
                <button type="button" className="link-btn" onClick={() => act(async () => {
                  const r = await call('mail:attachments:open', { messageId: msg.id, index: a.index });
                  if (!r.opened) toast.info(r.path);
                })}>{M.reader.open}</button>
                {images.some((i) => i.index === a.index) || labelKind(a) === 'text' ? (
                  <button type="button" className="link-btn" data-testid="mail-att-preview" onClick={() => {
                    const at = images.findIndex((i) => i.index === a.index);
                    setPreview(at >= 0 ? { messageId: msg.id, image: at } : { messageId: msg.id, text: a });
                  }}>{M.reader.preview}</button>
                ) : null}
              </span>
            </span>
          ))}
        </div>
      ) : null}
      <MailFrame html={clean.html} title={msg.subject || M.title} />
      <Thumbnails images={images} onOpen={(i) => setPreview({ messageId: msg.id, image: i })} />
      {preview?.messageId === msg.id && preview.image !== undefined ? (
        <ImageDialog images={images} start={preview.image} onClose={() => setPreview(null)} />
      ) : null}
      {preview?.messageId === msg.id && preview.text ? (
        <TextDialog messageId={msg.id} file={preview.text} onClose={() => setPreview(null)} />
      ) : null}
      {printing ? <PrintBody html={clean.html} /> : null}
      {showSource ? <SourceDialog messageId={msg.id} onClose={() => setShowSource(false)} /> : null}
      {thread.length > 1 ? (
        <div className="mail-thread">
          <div className="muted small">{M.reader.thread} ({thread.length})</div>
          {thread.map((t) => (
            <button type="button" key={t.id} className={`mail-thread-item${t.id === msg.id ? ' current' : ''}`} onClick={() => navigate(`/mail/f/${t.folderId}/m/${t.id}`)}>
              <span>{t.from?.name || t.from?.email}</span>
              <span className="muted small">{formatDateTime(t.date)}</span>
            </button>
          ))}
        </div>
      ) : null}
    </article>
  );
}

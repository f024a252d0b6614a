/**
 * «Шаблоны писем»: texts the user inserts into the compose form with one click, with an optional
 * subject and files. Shared by all accounts. Placeholders ({имя}, {дата}, {моё_имя}) are stored
 * as typed and filled in by the compose form, which knows the recipient and the account.
 */
import { foldRu } from '../../../src-shared/fold';
import type Database from 'better-sqlite3';
import type { z } from 'zod';
import {
  MAIL_TEMPLATE_MAX_FILES,
  MAIL_TEMPLATE_MAX_FILE_BYTES,
  MAIL_TEMPLATE_MAX_TOTAL_BYTES,
  type MailTemplateInputSchema,
  type MailTemplateView,
} from '../../../src-shared/ipc/mail';
import { MailError } from './errors-ru';

export type TemplateInput = z.output<typeof MailTemplateInputSchema>;
export type TemplateWithData = MailTemplateView & { attachmentsData: { filename: string; contentType: string; dataBase64: string }[] };

interface Row {
  id: number;
  name: string;
  subject: string;
  text: string;
  updated_at: string;
}

interface FileRow {
  template_id: number;
  idx: number;
  filename: string;
  content_type: string;
  size: number;
}

const MB = 1024 * 1024;

/** The key names are compared by: case, «ё»/«е» and runs of spaces do not make another name. */
export function templateNameKey(name: string): string {
  return foldRu(name.trim().replace(/\s+/g, ' '));
}

export class Templates {
  constructor(private readonly db: Database.Database) {}

  private files(templateId: number): FileRow[] {
    return this.db
      .prepare('SELECT template_id, idx, filename, content_type, size FROM mail_template_files WHERE template_id = ? ORDER BY idx')
      .all(templateId) as FileRow[];
  }

  private view(r: Row, files = this.files(r.id)): MailTemplateView {
    return {
      id: r.id,
      name: r.name,
      subject: r.subject,
      text: r.text,
      attachments: files.map((f) => ({ index: f.idx, filename: f.filename, contentType: f.content_type, size: f.size })),
      updatedAt: r.updated_at,
    };
  }

  private row(id: number): Row {
    const r = this.db.prepare('SELECT id, name, subject, text, updated_at FROM mail_templates WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new MailError('mail-no-template', 'Шаблон не найден.', 'Возможно, его уже удалили — откройте список шаблонов заново.');
    return r;
  }

  list(): MailTemplateView[] {
    const rows = this.db.prepare('SELECT id, name, subject, text, updated_at FROM mail_templates').all() as Row[];
    const files = new Map<number, FileRow[]>();
    for (const f of this.db
      .prepare('SELECT template_id, idx, filename, content_type, size FROM mail_template_files ORDER BY template_id, idx')
      .all() as FileRow[]) {
      const list = files.get(f.template_id) ?? [];
      list.push(f);
      files.set(f.template_id, list);
    }
    // Russian alphabetical order (SQLite's ORDER BY sorts by code point: «Ё» after «я»).
    return rows.sort((a, b) => a.name.localeCompare(b.name, 'ru-RU')).map((r) => this.view(r, files.get(r.id) ?? []));
  }

  get(id: number): TemplateWithData {
    const r = this.row(id);
    const data = this.db
      .prepare('SELECT filename, content_type, content FROM mail_template_files WHERE template_id = ? ORDER BY idx')
      .all(id) as { filename: string; content_type: string; content: Buffer }[];
    return {
      ...this.view(r),
      attachmentsData: data.map((f) => ({ filename: f.filename, contentType: f.content_type, dataBase64: f.content.toString('base64') })),
    };
  }

  save(input: TemplateInput): MailTemplateView {
    const added = input.attachments.map((a) => {
      const content = Buffer.from(a.dataBase64, 'base64');
      if (content.length > MAIL_TEMPLATE_MAX_FILE_BYTES) {
        throw new MailError('mail-template-too-big', `Файл «${a.filename}» больше ${MAIL_TEMPLATE_MAX_FILE_BYTES / MB} МБ.`, 'Такой файл лучше отправлять ссылкой.');
      }
      return { filename: a.filename, contentType: a.contentType, content };
    });
    const key = templateNameKey(input.name);
    const now = new Date().toISOString();
    return this.db.transaction(() => {
      const other = this.db.prepare('SELECT id, name FROM mail_templates WHERE name_key = ?').get(key) as { id: number; name: string } | undefined;
      if (other && other.id !== input.id) {
        throw new MailError('mail-template-exists', `Шаблон «${other.name}» уже есть.`, 'Выберите другое название или измените тот шаблон в настройках почты.');
      }
      let id = input.id;
      let kept: FileRow[] = [];
      if (id) {
        this.row(id);
        const stored = this.files(id);
        const keep = input.keepAttachments ? new Set(input.keepAttachments) : null;
        kept = keep ? stored.filter((f) => keep.has(f.idx)) : stored;
      }
      const count = kept.length + added.length;
      if (count > MAIL_TEMPLATE_MAX_FILES) {
        throw new MailError('mail-template-too-many', `В шаблоне может быть не больше ${MAIL_TEMPLATE_MAX_FILES} файлов, а их ${count}.`);
      }
      const total = kept.reduce((s, f) => s + f.size, 0) + added.reduce((s, f) => s + f.content.length, 0);
      if (total > MAIL_TEMPLATE_MAX_TOTAL_BYTES) {
        throw new MailError(
          'mail-template-too-big',
          `Файлы шаблона вместе больше ${MAIL_TEMPLATE_MAX_TOTAL_BYTES / MB} МБ — письмо с ними почтовые серверы не примут.`,
          'Уберите часть файлов.',
        );
      }
      if (id) {
        this.db.prepare('UPDATE mail_templates SET name = ?, name_key = ?, subject = ?, text = ?, updated_at = ? WHERE id = ?').run(input.name, key, input.subject, input.text, now, id);
        const keptIdx = new Set(kept.map((f) => f.idx));
        const del = this.db.prepare('DELETE FROM mail_template_files WHERE template_id = ? AND idx = ?');
        for (const f of this.files(id)) if (!keptIdx.has(f.idx)) del.run(id, f.idx);
        // Kept files close the gaps in order; an index only ever moves down into a freed place.
        const move = this.db.prepare('UPDATE mail_template_files SET idx = ? WHERE template_id = ? AND idx = ?');
        kept.forEach((f, i) => {
          if (f.idx !== i) move.run(i, id, f.idx);
        });
      } else {
        id = Number(
          this.db
            .prepare('INSERT INTO mail_templates (name, name_key, subject, text, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
            .run(input.name, key, input.subject, input.text, now, now).lastInsertRowid,
        );
      }
      const ins = this.db.prepare('INSERT INTO mail_template_files (template_id, idx, filename, content_type, size, content) VALUES (?, ?, ?, ?, ?, ?)');
      added.forEach((f, i) => ins.run(id, kept.length + i, f.filename, f.contentType, f.content.length, f.content));
      return this.view(this.row(id));
    })();
  }

  delete(id: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM mail_template_files WHERE template_id = ?').run(id);
      this.db.prepare('DELETE FROM mail_templates WHERE id = ?').run(id);
    })();
  }
}

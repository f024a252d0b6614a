/**
 * «Выгрузить в CSV» on the calls, contacts and stats screens: the relay builds the
 * file for what the screen shows, the renderer only saves it; a failure is a toast, since the
 * button has no form to show it in.
 */
import { useState } from 'react';
import { toAppError } from '../api';
import { saveTextFile } from '../download';
import { toast } from '../stores/toasts';

export interface CsvExportLabels {
  export: string;
  exporting: string;
  exportTitle: string;
  exportFailed: string;
}

export function CsvExportButton({
  fetch,
  labels,
  testId,
  disabled = false,
}: {
  fetch: () => Promise<{ filename: string; csv: string }>;
  labels: CsvExportLabels;
  testId: string;
  /** Besides while exporting (e.g. nothing loaded yet). */
  disabled?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      const { filename, csv } = await fetch();
      saveTextFile(filename, csv, 'text/csv;charset=utf-8');
    } catch (e) {
      toast.error(toAppError(e).message, labels.exportFailed);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" className="btn btn-sm" title={labels.exportTitle} disabled={busy || disabled} onClick={() => void run()} data-testid={testId}>
      {busy ? labels.exporting : labels.export}
    </button>
  );
}

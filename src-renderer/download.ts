/**
 * Saves what the app made or holds as a file: a Blob and a click on an <a download>. In the
 * browser it is an ordinary download; in Electron the shell lets our own blob: downloads through
 * and asks where to save (src-main/electron/security.ts). No Node here: the renderer has none.
 */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Not at once: the download reads the Blob after the click returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function saveTextFile(filename: string, text: string, type: string): void {
  saveBlob(new Blob([text], { type }), filename);
}

/**
 * «Печать»: window.print() with the print stylesheet in mail.css, which keeps only the reader's
 * header (subject, from, to, copy, date) and this body on paper — no sidebar, folders, list or
 * buttons. Works the same in Chromium and in Electron (the system print dialog), no IPC.
 *
 * The on-screen mail frame cannot be printed whole: on paper a frame is one unbreakable box (a
 * long mail would be cut at the first page), and a sandboxed frame cannot be measured from here.
 * So for the time of printing the same sanitized HTML (scripts, handlers, forms, frames and
 * remote URLs already gone; allowed images are data URLs; the window's CSP forbids inline
 * scripts anyway) goes into a shadow root, which keeps the mail's own <style> off the app.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { flushSync } from 'react-dom';

const PRINT_CSS =
  ':host{display:block;margin-top:10px;padding-top:10px;border-top:1px solid #999;color:#000;' +
  'font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere}' +
  'img{max-width:100%;height:auto}img[data-blocked]{display:none}table{max-width:100%}' +
  'blockquote{margin:0 0 0 4px;padding-left:10px;border-left:3px solid #bbb;color:#444}pre{white-space:pre-wrap}a{color:inherit}';

/** `printing` while a print is being prepared or the dialog is open; `print()` starts one. */
export function usePrint(): { printing: boolean; print: () => void } {
  const [printing, setPrinting] = useState(false);
  useEffect(() => {
    // Ctrl+P in the browser prints too: the body must be in the page before the print layout.
    const before = () => flushSync(() => setPrinting(true));
    const after = () => setPrinting(false);
    window.addEventListener('beforeprint', before);
    window.addEventListener('afterprint', after);
    return () => {
      window.removeEventListener('beforeprint', before);
      window.removeEventListener('afterprint', after);
    };
  }, []);
  const print = () => {
    flushSync(() => setPrinting(true));
    window.print();
  };
  return { printing, print };
}

/** The sanitized body for paper only (hidden on screen by mail.css). */
export function PrintBody({ html }: { html: string }) {
  const host = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = host.current;
    if (!el) return;
    const root = el.shadowRoot ?? el.attachShadow({ mode: 'open' });
    // `html` is DOMPurify's output (sanitizeMailHtml): made for insertion into a document.
    root.innerHTML = `<style>${PRINT_CSS}</style>${html}`;
  }, [html]);
  return <div ref={host} className="mail-print-body" data-testid="mail-print-body" />;
}

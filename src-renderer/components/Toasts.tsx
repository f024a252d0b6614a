import { useToasts } from '../stores/toasts';
import { S } from '../strings';
import { IconX } from './icons';

export function Toasts() {
  const { toasts, dismiss } = useToasts();
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} data-testid={`toast-${t.kind}`}>
          <div className="toast-body">
            {t.title ? <strong>{t.title}</strong> : null}
            <span>{t.text}</span>
          </div>
          {t.action ? (
            <button
              type="button"
              className="btn btn-sm"
              data-testid={t.action.testId}
              onClick={() => {
                dismiss(t.id);
                t.action?.run();
              }}
            >
              {t.action.label}
            </button>
          ) : null}
          <button type="button" className="icon-btn" aria-label={S.close} onClick={() => dismiss(t.id)}>
            <IconX size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}

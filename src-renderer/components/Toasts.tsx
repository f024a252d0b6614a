import { splitPhones } from '../format';
import { useToasts } from '../stores/toasts';
import { S } from '../strings';
import { IconX } from './icons';

export function Toasts() {
  const { toasts, dismiss, pause, resume } = useToasts();
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div
          key={t.id}
          className={`toast toast-${t.kind}`}
          data-testid={`toast-${t.kind}`}
          // The pointer on a toast (to read it or reach «Отменить») keeps it from going away.
          onMouseEnter={() => pause(t.id)}
          onMouseLeave={() => resume(t.id)}
          onFocus={() => pause(t.id)}
          onBlur={() => resume(t.id)}
        >
          <div className="toast-body">
            {t.title ? <strong>{t.title}</strong> : null}
            <span>
              {/* A number stays whole on its line (never «…123-45-» / «67»). */}
              {splitPhones(t.text).map((part, i) =>
                part.phone ? (
                  <span key={i} className="nowrap">
                    {part.text}
                  </span>
                ) : (
                  part.text
                ),
              )}
            </span>
          </div>
          {t.action ? (
            <button
              type="button"
              className="btn btn-sm"
              data-testid={t.action.testId}
              onClick={() => {
                dismiss(t.id, true);
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

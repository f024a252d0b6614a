/** The app's one confirmation dialog (see stores/confirm.ts), mounted once per window. */
import { S } from '../strings';
import { splitQuestion, useConfirm } from '../stores/confirm';
import { Modal } from './Modal';

export function ConfirmHost() {
  const req = useConfirm((s) => s.current);
  if (!req) return null;
  const { title, text } = splitQuestion(req.question);
  return (
    <Modal title={title} onClose={() => req.answer(false)}>
      <div className="form" data-testid="confirm-dialog">
        {text.split(/\n{2,}/).map((p, i) => (
          <p key={i}>{p}</p>
        ))}
        <div className="form-actions">
          <button type="button" className="btn btn-danger" onClick={() => req.answer(true)} data-testid="confirm-yes">
            {req.confirm}
          </button>
          {/* The safe answer has the focus: Enter right after the click that asked does not destroy anything. */}
          <button type="button" className="btn" autoFocus onClick={() => req.answer(false)} data-testid="confirm-no">
            {S.cancel}
          </button>
        </div>
      </div>
    </Modal>
  );
}

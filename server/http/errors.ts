/** An API failure with an HTTP status, a stable code and a Russian message for the user. */
export class ApiFail extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what = 'Объект') => new ApiFail(404, 'not-found', `${what} не найден`);
export const forbidden = () => new ApiFail(403, 'forbidden', 'Недостаточно прав');
export const badRequest = (message: string, details?: unknown) => new ApiFail(400, 'bad-request', message, details);

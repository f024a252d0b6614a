import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../log';

/**
 * Answers with a CSV file to save («Выгрузить в CSV»): a whole text, or pieces streamed as the
 * client reads them. A streamed file whose later pages fail can only be cut short (the status is
 * sent by then): that goes to the log with what was being exported.
 */
export function sendCsv(req: FastifyRequest, reply: FastifyReply, log: Logger, file: { filename: string; body: string | AsyncIterable<string> }, what: string) {
  let body: string | Readable;
  if (typeof file.body === 'string') body = file.body;
  else {
    body = Readable.from(file.body, { objectMode: false });
    body.on('error', (err) => log.error({ reqId: req.id, err }, `${what} export failed mid-stream`));
  }
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${file.filename}"`)
    .header('cache-control', 'private, no-store')
    .send(body);
}

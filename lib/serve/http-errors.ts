/** How the service's errors travel over HTTP: a status per stable code, and a JSON body {code, message}. */
import { isUniAdapterError, type ErrorCode } from '../errors';

const STATUS: Partial<Record<ErrorCode, number>> = {
  ERR_ARG: 400,
  ERR_SHAPE: 400,
  ERR_DTYPE: 400,
  ERR_IMAGE: 400,
  ERR_VIDEO: 400,
  ERR_DATA: 400,
  ERR_TOKENIZER: 400,
  ERR_AUTH: 401,
  ERR_NOT_FOUND: 404,
  ERR_STATE: 409,
  ERR_TOO_LARGE: 413,
  ERR_UNSUPPORTED: 415,
  ERR_BUSY: 503,
  ERR_TIMEOUT: 504,
};

export interface HttpError {
  status: number;
  body: { code: string; message: string };
}

/**
 * The HTTP answer for anything a handler threw. Library errors keep their code and message; fastify's
 * own (bad JSON, body too large, schema) keep their status with a stable code; anything else is a 500
 * whose message says nothing of the internals (no stack traces leave the server).
 */
export function httpError(e: unknown): HttpError {
  if (isUniAdapterError(e)) {
    const status = STATUS[e.code] ?? 500;
    return { status, body: { code: e.code, message: status === 500 ? 'internal error (see the server log)' : e.message } };
  }
  const f = e as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  if (typeof f?.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
    const code = f.statusCode === 413 ? 'ERR_TOO_LARGE' : f.statusCode === 415 ? 'ERR_UNSUPPORTED' : f.statusCode === 404 ? 'ERR_NOT_FOUND' : 'ERR_ARG';
    return { status: f.statusCode, body: { code, message: String(f.message ?? 'bad request').split('\n')[0] } };
  }
  return { status: 500, body: { code: 'ERR_NATIVE', message: 'internal error (see the server log)' } };
}

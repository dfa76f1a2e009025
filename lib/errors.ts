/**
 * Errors raised by uniadapter. Every error carries a stable `code` that programs can switch on;
 * the message says what was wrong and what to do about it.
 */
export type ErrorCode =
  | 'ERR_ARG' // an argument or option is invalid
  | 'ERR_SHAPE' // a tensor has the wrong shape or byte length
  | 'ERR_DTYPE' // a tensor has the wrong element type
  | 'ERR_CONFIG' // a model or training configuration is invalid
  | 'ERR_WEIGHTS' // a checkpoint or adapter file cannot be used
  | 'ERR_FORMAT' // a file is not in the expected format (truncated, corrupt)
  | 'ERR_PICKLE' // a .pth pickle holds something outside the allow-list
  | 'ERR_IO' // reading or writing a file failed
  | 'ERR_DEVICE' // the requested device is not available
  | 'ERR_STATE' // the object is not in a state that allows the call
  | 'ERR_DISPOSED' // the model was disposed
  | 'ERR_DIST' // distributed training setup or communication failed
  | 'ERR_DATA' // a dataset record is malformed or missing
  | 'ERR_IMAGE' // an image cannot be decoded
  | 'ERR_VIDEO' // a video cannot be decoded
  | 'ERR_TOKENIZER' // the tokenizer cannot be built or used
  | 'ERR_UNSUPPORTED' // the feature is not available in this build or configuration
  | 'ERR_ABORTED' // the operation was aborted through an AbortSignal
  | 'ERR_NATIVE_LOAD' // the native addon could not be loaded
  | 'ERR_TORCH' // LibTorch reported an error
  | 'ERR_OOM' // out of memory
  | 'ERR_BUSY' // the service's queue is full: retry after a moment (HTTP 503)
  | 'ERR_TIMEOUT' // a request ran past its time limit (HTTP 504)
  | 'ERR_AUTH' // a bearer token is missing or wrong (HTTP 401)
  | 'ERR_NOT_FOUND' // no such route, gallery or item (HTTP 404)
  | 'ERR_TOO_LARGE' // a body or image is past the service's limits (HTTP 413)
  | 'ERR_NATIVE'; // any other native error

export class UniAdapterError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UniAdapterError';
    this.code = code;
  }
}

export function isUniAdapterError(e: unknown): e is UniAdapterError {
  return e instanceof UniAdapterError;
}

/**
 * LibTorch's allocators report a failed allocation as a plain error ("DefaultCPUAllocator: can't
 * allocate memory: you tried to allocate N bytes"), not as its out-of-memory type; such messages are
 * ERR_OOM whatever code they arrive with.
 */
const OUT_OF_MEMORY_MESSAGE = /can't allocate memory|CUDA out of memory|out of memory/i;

/** Wraps anything thrown by the native addon (plain Errors with a `code`) into a UniAdapterError. */
export function fromNative(e: unknown): UniAdapterError {
  if (e instanceof UniAdapterError) return e;
  const err = e as { code?: unknown; message?: unknown };
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const code = typeof err?.code === 'string' ? (err.code as ErrorCode) : 'ERR_NATIVE';
  if ((code === 'ERR_TORCH' || code === 'ERR_NATIVE') && OUT_OF_MEMORY_MESSAGE.test(message)) {
    // "[enforce fail at alloc_cpu.cpp:75] err == 0. " names a source line, not something the user can act on.
    const reason = message.replace(/^\[enforce fail at [^\]]*\]\s*[^.]*\.\s*/, '');
    return new UniAdapterError('ERR_OOM', `out of memory: ${reason} (use a smaller model, batch or image size)`, { cause: e });
  }
  return new UniAdapterError(code, message, { cause: e });
}

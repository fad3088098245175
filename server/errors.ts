import { type ErrorCode, StrataError } from "../engine/index.ts";

/** The body of every error answer: a stable code and a message, never a stack trace. */
export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  STRATA_ERR_UNAUTHORIZED: 401,
  STRATA_ERR_NOT_FOUND: 404,
  STRATA_ERR_UNKNOWN_RUN: 404,
  STRATA_ERR_RUN_STATE: 409,
  STRATA_ERR_BACKFILL_STATE: 409,
  STRATA_ERR_INTERNAL: 500,
  STRATA_ERR_STORAGE: 500,
};

/** HTTP status of a coded error: anything the caller can fix by changing the request is a 400. */
export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 400;
}

/** Fastify's own errors (schema validation, bad JSON, body too large) carry these fields. */
function isFastifyClientError(error: unknown): error is Error & { statusCode: number; code?: string } {
  return (
    error instanceof Error &&
    "statusCode" in error &&
    typeof error.statusCode === "number" &&
    error.statusCode >= 400 &&
    error.statusCode < 500
  );
}

/**
 * Map anything a handler threw to `{status, body}`. StrataErrors keep their code and message (the
 * message quotes the bad value and the fix); client errors from Fastify become INVALID_REQUEST or
 * NOT_FOUND; everything else is INTERNAL with a generic message, because an unexpected error's text
 * may hold paths or secrets and its stack belongs in the server log only.
 */
export function toErrorAnswer(error: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (StrataError.is(error)) {
    const message = error.message.startsWith(`${error.code}: `)
      ? error.message.slice(error.code.length + 2)
      : error.message;
    return { status: statusOf(error.code), body: { code: error.code, message }, internal: false };
  }
  if (isFastifyClientError(error)) {
    const code: ErrorCode = error.statusCode === 404 ? "STRATA_ERR_NOT_FOUND" : "STRATA_ERR_INVALID_REQUEST";
    const status = error.statusCode === 404 ? 404 : 400;
    return { status, body: { code, message: error.message }, internal: false };
  }
  return {
    status: 500,
    body: { code: "STRATA_ERR_INTERNAL", message: "internal error: the server log has the details." },
    internal: true,
  };
}

export function notFound(what: string): StrataError {
  return new StrataError("STRATA_ERR_NOT_FOUND", `${what} does not exist.`);
}

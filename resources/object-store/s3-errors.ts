import { S3ServiceException } from "@aws-sdk/client-s3";
import { quote, StrataError } from "../../engine/errors.ts";

/** The S3 error code (e.g. NoSuchKey, PreconditionFailed) and HTTP status of a failed request. */
export function s3ErrorOf(error: unknown): { name: string; status: number | undefined } | undefined {
  if (!(error instanceof S3ServiceException)) return undefined;
  return { name: error.name, status: error.$metadata.httpStatusCode };
}

export function isS3Error(error: unknown, names: readonly string[], status?: number): boolean {
  const s3 = s3ErrorOf(error);
  return s3 !== undefined && (names.includes(s3.name) || (status !== undefined && s3.status === status));
}

/** Codes S3-compatible servers answer with when they cannot apply the requested encryption. */
const ENCRYPTION_REFUSALS = [
  "KMS.NotConfigured",
  "NotImplemented",
  "InvalidEncryptionAlgorithmError",
  "KMSNotConfigured",
];

/**
 * A failed request as a coded error. The message names the operation, the object and what the
 * server said (its code and status), never the credentials.
 */
export function objectStoreError(
  operation: string,
  location: string,
  error: unknown,
  encrypting: boolean,
): StrataError {
  const s3 = s3ErrorOf(error);
  const said =
    s3 === undefined
      ? error instanceof Error
        ? error.message
        : String(error)
      : `${s3.name}${s3.status === undefined ? "" : ` (HTTP ${s3.status})`}: ${error instanceof Error ? error.message : ""}`;
  if (s3 !== undefined && (s3.status === 404 || s3.name === "NoSuchKey") && operation === "get") {
    return new StrataError(
      "STRATA_ERR_OBJECT_NOT_FOUND",
      `object ${quote(location)} does not exist.`,
      { location },
      { cause: error },
    );
  }
  if (encrypting && s3 !== undefined && ENCRYPTION_REFUSALS.includes(s3.name)) {
    return new StrataError(
      "STRATA_ERR_S3_ENCRYPTION",
      `${operation} ${quote(location)} with server-side encryption was refused: ${said}.`,
      { location, s3Code: s3.name },
      { cause: error },
    );
  }
  return new StrataError(
    "STRATA_ERR_OBJECT_STORE",
    `${operation} ${quote(location)} failed: ${said}.`,
    { location, operation, ...(s3 !== undefined && { s3Code: s3.name, status: s3.status }) },
    { cause: error },
  );
}

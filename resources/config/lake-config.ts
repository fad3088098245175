import { isAbsolute, resolve } from "node:path";
import { quote } from "../../engine/errors.ts";
import type { S3Encryption, S3Settings } from "../object-store/s3-object-store.ts";

/** Where the lake lives: a local folder (embedded default) or an S3 bucket and prefix. */
export type LakeConfig =
  | { readonly kind: "local"; readonly root: string }
  | { readonly kind: "s3"; readonly url: string; readonly s3: S3Settings };

export const LAKE_KEYS = {
  lake: "STRATA_LAKE",
  endpoint: "STRATA_S3_ENDPOINT",
  region: "STRATA_S3_REGION",
  accessKeyId: "STRATA_S3_ACCESS_KEY_ID",
  secretAccessKey: "STRATA_S3_SECRET_ACCESS_KEY",
  sse: "STRATA_S3_SSE",
  sseKmsKeyId: "STRATA_S3_SSE_KMS_KEY_ID",
} as const;

/** The S3 settings that only mean something when STRATA_LAKE is an s3:// URL. */
export const S3_ONLY_KEYS = [
  LAKE_KEYS.endpoint,
  LAKE_KEYS.accessKeyId,
  LAKE_KEYS.secretAccessKey,
  LAKE_KEYS.sse,
  LAKE_KEYS.sseKmsKeyId,
] as const;

/** S3 bucket naming rules: 3-63 lower-case letters, digits, '.' and '-', starting and ending alphanumeric. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SSE_VALUES: readonly S3Encryption[] = ["AES256", "aws:kms", "none"];

function isEncryption(value: string): value is S3Encryption {
  return SSE_VALUES.some((known) => known === value);
}

function s3Lake(url: string, get: (key: string) => string | undefined, problems: string[]): LakeConfig {
  const match = /^s3:\/\/([^/]*)\/?(.*)$/.exec(url);
  const bucket = match?.[1] ?? "";
  const prefix = (match?.[2] ?? "").replace(/\/+$/, "");
  if (!BUCKET.test(bucket) || bucket.includes(".."))
    problems.push(
      `${LAKE_KEYS.lake}=${quote(url)}: ${quote(bucket)} is not a valid bucket name (3-63 lower-case letters, digits, '.', '-')`,
    );
  if (prefix.startsWith("/") || prefix.includes("//"))
    problems.push(`${LAKE_KEYS.lake}=${quote(url)}: the prefix must not contain empty path segments`);

  const endpoint = get(LAKE_KEYS.endpoint);
  if (endpoint !== undefined && !/^https?:\/\/[^\s/?#]+(:\d{1,5})?\/?$/.test(endpoint))
    problems.push(`${LAKE_KEYS.endpoint}=${quote(endpoint)} must be http(s)://host[:port]`);

  const region = get(LAKE_KEYS.region) ?? get("AWS_REGION") ?? get("AWS_DEFAULT_REGION") ?? "us-east-1";
  if (!/^[a-z0-9-]{2,40}$/.test(region))
    problems.push(`${LAKE_KEYS.region}=${quote(region)} must be a region name such as 'eu-west-1'`);

  const accessKeyId = get(LAKE_KEYS.accessKeyId);
  const secretAccessKey = get(LAKE_KEYS.secretAccessKey);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined))
    problems.push(
      `${LAKE_KEYS.accessKeyId} and ${LAKE_KEYS.secretAccessKey} go together: set both, or neither to use the AWS default credential chain`,
    );

  const sseSetting = get(LAKE_KEYS.sse) ?? "AES256";
  const sse: S3Encryption = isEncryption(sseSetting) ? sseSetting : "AES256";
  if (!isEncryption(sseSetting))
    problems.push(`${LAKE_KEYS.sse}=${quote(sseSetting)} must be one of ${SSE_VALUES.join(", ")}`);
  const sseKmsKeyId = get(LAKE_KEYS.sseKmsKeyId);
  if (sseKmsKeyId !== undefined && sse !== "aws:kms")
    problems.push(`${LAKE_KEYS.sseKmsKeyId} is only used with ${LAKE_KEYS.sse}=aws:kms`);

  const s3: S3Settings = {
    bucket,
    prefix,
    region,
    sse,
    ...(endpoint !== undefined && { endpoint: endpoint.replace(/\/$/, "") }),
    ...(accessKeyId !== undefined &&
      secretAccessKey !== undefined && { credentials: { accessKeyId, secretAccessKey } }),
    ...(sseKmsKeyId !== undefined && { sseKmsKeyId }),
  };
  return { kind: "s3", url: `s3://${bucket}${prefix === "" ? "" : `/${prefix}`}`, s3 };
}

/** The lake from STRATA_LAKE (a folder, file://, or s3://bucket/prefix) and the STRATA_S3_* settings. */
export function lakeConfig(
  get: (key: string) => string | undefined,
  defaultRoot: string,
  cwd: string,
  problems: string[],
): LakeConfig {
  const setting = get(LAKE_KEYS.lake) ?? defaultRoot;
  if (setting.startsWith("s3://")) return s3Lake(setting, get, problems);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(setting) && !setting.startsWith("file://")) {
    problems.push(
      `${LAKE_KEYS.lake}=${quote(setting)}: use a local folder, file://<folder> or s3://<bucket>/<prefix>`,
    );
  }
  const path = setting.replace(/^file:\/\//, "");
  return { kind: "local", root: isAbsolute(path) ? path : resolve(cwd, path) };
}

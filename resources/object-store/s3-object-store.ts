import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import type { ListOptions, ObjectInfo, ObjectStore, PutOptions } from "./object-store.ts";
import { isS3Error, objectStoreError } from "./s3-errors.ts";
import { type BackoffOptions, BackoffRetryStrategy } from "./s3-retry.ts";

/** Server-side encryption of written objects: SSE-S3, SSE-KMS, or none (the bucket's default applies). */
export type S3Encryption = "AES256" | "aws:kms" | "none";

/** Where the lake lives on S3 and how to reach it; parsed from configuration. */
export interface S3Settings {
  readonly bucket: string;
  /** Key prefix of the lake root inside the bucket, without leading or trailing '/'; may be empty. */
  readonly prefix: string;
  readonly region: string;
  /** An S3-compatible endpoint (MinIO); undefined for AWS. Path-style addressing is used with it. */
  readonly endpoint?: string;
  /** Static keys; undefined means the AWS default credential chain (env, profile, instance role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly sse: S3Encryption;
  /** The KMS key for `aws:kms` (the bucket's default KMS key when undefined). */
  readonly sseKmsKeyId?: string;
}

export interface S3StoreOptions {
  readonly retry?: Partial<BackoffOptions>;
  /** Per-request timeout; a timed-out request is retried like a transient error. */
  readonly requestTimeoutMs?: number;
}

/** A conditional PUT racing another one on the same key (AWS 409): retry it to learn who won. */
const CONFLICT_RETRIES = 5;

function stripQuotes(etag: string | undefined): string {
  return (etag ?? "").replace(/^"|"$/g, "");
}

/**
 * The ObjectStore port on S3 (AWS or an S3-compatible server such as MinIO). Listing is
 * ListObjectsV2, paginated, with StartAfter as the cursor; putIfAbsent is a PUT with
 * `If-None-Match: *`, which S3 applies atomically (412 when the key exists), so Delta commits
 * need no external lock. Every write carries the configured server-side encryption.
 */
export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  readonly client: S3Client;
  private readonly root: string;

  constructor(
    readonly settings: S3Settings,
    options: S3StoreOptions = {},
  ) {
    this.root = settings.prefix === "" ? "" : `${settings.prefix}/`;
    this.url = `s3://${settings.bucket}/${settings.prefix}`.replace(/\/$/, "");
    const config: S3ClientConfig = {
      region: settings.region,
      retryStrategy: new BackoffRetryStrategy(options.retry),
      requestHandler: { requestTimeout: options.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
      // Checksums only where the API requires them: S3-compatible servers differ in which of the
      // newer flexible checksums they accept, and the ETag already guards the transfer.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      ...(settings.credentials !== undefined && { credentials: settings.credentials }),
      ...(settings.endpoint !== undefined && { endpoint: settings.endpoint, forcePathStyle: true }),
    };
    this.client = new S3Client(config);
  }

  /** The bucket key of a store key. */
  private full(key: string): string {
    return this.root + key;
  }

  private location(key: string): string {
    return `s3://${this.settings.bucket}/${this.full(key)}`;
  }

  private get encrypting(): boolean {
    return this.settings.sse !== "none";
  }

  localPath(_key: string): undefined {
    return undefined;
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const output = await this.client.send(
        new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.full(key) }),
      );
      if (output.Body === undefined) return new Uint8Array();
      return await output.Body.transformToByteArray();
    } catch (error) {
      throw objectStoreError("get", this.location(key), error, false);
    }
  }

  async getIfExists(key: string): Promise<Uint8Array | undefined> {
    try {
      const output = await this.client.send(
        new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.full(key) }),
      );
      if (output.Body === undefined) return new Uint8Array();
      return await output.Body.transformToByteArray();
    } catch (error) {
      if (isS3Error(error, ["NoSuchKey", "NotFound"], 404)) return undefined;
      throw objectStoreError("get", this.location(key), error, false);
    }
  }

  async head(
    key: string,
  ): Promise<(ObjectInfo & { readonly metadata: Readonly<Record<string, string>> }) | undefined> {
    try {
      const output = await this.client.send(
        new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.full(key) }),
      );
      return {
        key,
        size: output.ContentLength ?? 0,
        lastModified: output.LastModified?.getTime() ?? 0,
        etag: stripQuotes(output.ETag),
        // As the local store does: user metadata plus the content type the object was written with.
        metadata: {
          ...output.Metadata,
          ...(output.ContentType !== undefined && { "content-type": output.ContentType }),
        },
      };
    } catch (error) {
      if (isS3Error(error, ["NotFound", "NoSuchKey"], 404)) return undefined;
      throw objectStoreError("head", this.location(key), error, false);
    }
  }

  private putInput(key: string, body: Uint8Array, options: PutOptions): PutObjectCommandInput {
    const { sse, sseKmsKeyId } = this.settings;
    return {
      Bucket: this.settings.bucket,
      Key: this.full(key),
      Body: body,
      ContentLength: body.byteLength,
      ...(options.contentType !== undefined && { ContentType: options.contentType }),
      ...(options.metadata !== undefined && { Metadata: { ...options.metadata } }),
      ...(sse !== "none" && { ServerSideEncryption: sse }),
      ...(sse === "aws:kms" && sseKmsKeyId !== undefined && { SSEKMSKeyId: sseKmsKeyId }),
    };
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<ObjectInfo> {
    try {
      const output = await this.client.send(new PutObjectCommand(this.putInput(key, body, options)));
      // S3 does not return Last-Modified on PUT; the client's clock is close enough for callers of
      // put (list and head report the server's time).
      return { key, size: body.byteLength, lastModified: Date.now(), etag: stripQuotes(output.ETag) };
    } catch (error) {
      throw objectStoreError("put", this.location(key), error, this.encrypting);
    }
  }

  async putIfAbsent(key: string, body: Uint8Array, options: PutOptions = {}): Promise<boolean> {
    const input = { ...this.putInput(key, body, options), IfNoneMatch: "*" };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.send(new PutObjectCommand(input));
        return true;
      } catch (error) {
        if (isS3Error(error, ["PreconditionFailed"], 412)) return false;
        // 409 ConditionalRequestConflict: another conditional write to the key is in flight. Its
        // outcome is unknown, so ask again; the retry returns 412 if that write won.
        if (isS3Error(error, ["ConditionalRequestConflict"], 409) && attempt < CONFLICT_RETRIES) {
          await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt * Math.random()));
          continue;
        }
        throw objectStoreError("put-if-absent", this.location(key), error, this.encrypting);
      }
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    let emitted = 0;
    let continuation: string | undefined;
    do {
      if (emitted >= limit) return;
      let page: Awaited<ReturnType<typeof this.listPage>>;
      try {
        page = await this.listPage(prefix, options.startAfter, continuation, limit - emitted);
      } catch (error) {
        throw objectStoreError("list", this.location(prefix), error, false);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(this.root)) continue;
        emitted++;
        yield {
          key: object.Key.slice(this.root.length),
          size: object.Size ?? 0,
          lastModified: object.LastModified?.getTime() ?? 0,
          etag: stripQuotes(object.ETag),
        };
        if (emitted >= limit) return;
      }
      continuation = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (continuation !== undefined);
  }

  private listPage(
    prefix: string,
    startAfter: string | undefined,
    continuation: string | undefined,
    want: number,
  ) {
    return this.client.send(
      new ListObjectsV2Command({
        Bucket: this.settings.bucket,
        Prefix: this.full(prefix),
        MaxKeys: Math.min(1000, want),
        // The continuation token carries the position after the first page.
        ...(continuation === undefined
          ? startAfter !== undefined && { StartAfter: this.full(startAfter) }
          : { ContinuationToken: continuation }),
      }),
    );
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.full(key) }));
    } catch (error) {
      throw objectStoreError("delete", this.location(key), error, false);
    }
  }

  /** Release the client's sockets (tests and short-lived commands). */
  close(): void {
    this.client.destroy();
  }
}

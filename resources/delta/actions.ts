/**
 * Delta Lake log actions (PROTOCOL.md "Actions"), as they appear in commit JSON and checkpoints.
 * Shared by the reader (log replay, checkpoints) and the writer (commits): one source of truth for
 * the log's shape.
 */
export interface ProtocolAction {
  readonly minReaderVersion: number;
  readonly minWriterVersion: number;
  readonly readerFeatures?: readonly string[];
  readonly writerFeatures?: readonly string[];
}

export interface FormatSpec {
  readonly provider: string;
  readonly options: Readonly<Record<string, string>>;
}

export interface MetadataAction {
  readonly id: string;
  readonly name?: string | null;
  readonly description?: string | null;
  readonly format: FormatSpec;
  /** The table schema as a JSON string (Delta's StructType serialisation). */
  readonly schemaString: string;
  readonly partitionColumns: readonly string[];
  readonly configuration: Readonly<Record<string, string>>;
  readonly createdTime?: number | null;
}

/** Per-file statistics, stored in the log as a JSON string. */
export interface FileStats {
  readonly numRecords: number;
  readonly minValues?: Readonly<Record<string, unknown>>;
  readonly maxValues?: Readonly<Record<string, unknown>>;
  readonly nullCount?: Readonly<Record<string, unknown>>;
  readonly tightBounds?: boolean;
}

export interface DeletionVectorDescriptor {
  readonly storageType: string;
  readonly pathOrInlineDv: string;
  readonly offset?: number;
  readonly sizeInBytes: number;
  readonly cardinality: number;
}

export interface AddAction {
  /** URI-encoded path relative to the table root (or absolute URI). */
  readonly path: string;
  /** Partition column → value as string; null for a null partition value. */
  readonly partitionValues: Readonly<Record<string, string | null>>;
  readonly size: number;
  readonly modificationTime: number;
  readonly dataChange: boolean;
  readonly stats?: string | null;
  readonly tags?: Readonly<Record<string, string>> | null;
  readonly deletionVector?: DeletionVectorDescriptor | null;
}

export interface RemoveAction {
  readonly path: string;
  readonly deletionTimestamp?: number | null;
  readonly dataChange: boolean;
  readonly extendedFileMetadata?: boolean;
  readonly partitionValues?: Readonly<Record<string, string | null>> | null;
  readonly size?: number | null;
  readonly deletionVector?: DeletionVectorDescriptor | null;
}

export interface TxnAction {
  readonly appId: string;
  readonly version: number;
  readonly lastUpdated?: number | null;
}

export type CommitInfoAction = Readonly<Record<string, unknown>>;

/** One line of a commit file: exactly one of these keys is set. */
export type Action =
  | { readonly protocol: ProtocolAction }
  | { readonly metaData: MetadataAction }
  | { readonly add: AddAction }
  | { readonly remove: RemoveAction }
  | { readonly txn: TxnAction }
  | { readonly commitInfo: CommitInfoAction }
  | { readonly cdc: Readonly<Record<string, unknown>> }
  | { readonly domainMetadata: Readonly<Record<string, unknown>> };

/** Zero-padded 20-digit version, as used in `_delta_log/<version>.json`. */
export function versionFileName(version: number): string {
  return `${String(version).padStart(20, "0")}.json`;
}

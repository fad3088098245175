/**
 * A small pool of connections to one DuckDB instance. A DuckDB connection must not run two statements
 * at once, so each connection serves one caller at a time; callers beyond `max` wait their turn, first
 * come first served. With `max` 1 it is a plain queue on one connection (a transaction's session).
 */
import type { DuckDBConnection } from "@duckdb/node-api";

export class DuckDbConnections {
  private readonly all: DuckDBConnection[] = [];
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiting: ((connection: DuckDBConnection) => void)[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private opening = 0;

  constructor(
    private readonly connect: () => Promise<DuckDBConnection>,
    private readonly max: number,
    initial: readonly DuckDBConnection[] = [],
  ) {
    this.all.push(...initial);
    this.idle.push(...initial);
  }

  /** Runs `work` on a connection of its own, opening one if none is idle and the pool has room. */
  use<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const done = this.acquire().then(async (connection) => {
      try {
        return await work(connection);
      } finally {
        this.release(connection);
      }
    });
    const settled = done.catch(() => undefined);
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return done;
  }

  /** Waits for the work under way (and the work it queued), then closes every connection. */
  async close(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
    for (const connection of this.all) connection.closeSync();
    this.all.length = 0;
    this.idle.length = 0;
  }

  private async acquire(): Promise<DuckDBConnection> {
    const idle = this.idle.pop();
    if (idle !== undefined) return idle;
    if (this.all.length + this.opening < this.max) {
      this.opening++;
      try {
        const connection = await this.connect();
        this.all.push(connection);
        return connection;
      } finally {
        this.opening--;
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(connection: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(connection);
    else this.idle.push(connection);
  }
}

// One short-lived connection to a MariaDB server with a hard client-side deadline: every statement vigil
// sends (a position read, read_only, a promotion step) either answers in time or the connection is
// destroyed and the operation fails. Uses the vendor's `mariadb` connector (see docs/databases.md),
// loaded on first use: a daemon without databases does not carry it (about 10 MiB of its memory).

/** Where and as whom to connect: a local socket, or a host and port. */
export interface SqlTarget {
  socket?: string;
  host?: string;
  port?: number;
  user: string;
  password: string;
}

/** A row as the connector returns it (column name → value). */
export type Row = Record<string, unknown>;

/** A connection whose statements each have a deadline. */
export interface Sql {
  query(sql: string, values?: unknown[], timeoutMs?: number): Promise<Row[]>;
  /** The first row's first column, or undefined. */
  value(sql: string, values?: unknown[], timeoutMs?: number): Promise<unknown>;
  close(): Promise<void>;
}

/** Default deadline of one statement, ms. */
export const STATEMENT_MS = 5_000;

/** Opens a connection within `connectMs`; rejects with a message naming the target. */
export async function connect(target: SqlTarget, connectMs = 3_000): Promise<Sql> {
  const where = target.socket ?? `${target.host}:${target.port}`;
  const { default: mariadb } = await import("mariadb");
  const conn = await mariadb
    .createConnection({
      ...(target.socket ? { socketPath: target.socket } : { host: target.host, port: target.port }),
      user: target.user,
      password: target.password,
      connectTimeout: connectMs,
      bigIntAsNumber: true,
      decimalAsNumber: true,
      multipleStatements: false,
    })
    .catch((err: Error) => {
      throw new Error(`cannot connect to MariaDB at ${where}: ${err.message}`);
    });
  conn.on("error", () => undefined);
  let closed = false;
  const query = async (sql: string, values: unknown[] = [], timeoutMs = STATEMENT_MS): Promise<Row[]> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        conn.destroy();
        closed = true;
        reject(new Error(`MariaDB at ${where} did not answer "${sql.slice(0, 60)}" within ${timeoutMs}ms`));
      }, timeoutMs);
    });
    try {
      const rows = (await Promise.race([conn.query({ sql, rowsAsArray: false }, values), deadline])) as unknown;
      return Array.isArray(rows) ? (rows as Row[]) : [];
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    query,
    async value(sql, values, timeoutMs) {
      const rows = await query(sql, values, timeoutMs);
      const first = rows[0];
      return first ? Object.values(first)[0] : undefined;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.race([conn.end().catch(() => conn.destroy()), new Promise((r) => setTimeout(r, 500))]);
      conn.destroy();
    },
  };
}

/** Runs `fn` on a fresh connection and closes it whatever happens. */
export async function withSql<T>(target: SqlTarget, fn: (sql: Sql) => Promise<T>, connectMs?: number): Promise<T> {
  const sql = await connect(target, connectMs);
  try {
    return await fn(sql);
  } finally {
    await sql.close();
  }
}

/** Quotes a string literal for the few statements that take no placeholders (CHANGE MASTER). */
export function quote(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

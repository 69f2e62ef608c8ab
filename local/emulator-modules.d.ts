// The emulators ship no type declarations: these cover only what local/emulators.ts uses.

declare module 's3rver' {
  import type { Server } from 'node:http';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    configureBuckets?: { name: string }[];
  }
  /** s3rver 3: an S3 emulator on the local file system (a Koa application, so an EventEmitter). */
  export default class S3rver {
    constructor(options: S3rverOptions);
    /** Creates the buckets of `configureBuckets` (run() does this before listening). */
    configureBuckets(): Promise<void>;
    /** Creates the HTTP server and starts listening; with a callback it returns the server synchronously. */
    listen(port: number, address: string, callback: () => void): Server;
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    /** S3 event notification payloads ({ Records: [...] }) on PUT, POST, COPY and DELETE of an object. */
    on(event: 'event', listener: (payload: unknown) => void): this;
    off(event: 'event', listener: (payload: unknown) => void): this;
  }
}

declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    /** LevelDB folder; absent keeps everything in memory. */
    path?: string;
  }
  /** dynalite 4: a DynamoDB emulator (LevelDB, in memory by default) as an http.Server. */
  export default function dynalite(options?: DynaliteOptions): Server;
}

// The emulators ship no type declarations: these cover only what test/support/emulators.ts uses.

declare module 's3rver' {
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    configureBuckets?: { name: string }[];
  }
  /** s3rver 3: an S3 emulator on the local file system. */
  export default class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}

declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    path?: string;
  }
  /** dynalite 4: a DynamoDB emulator (LevelDB, in memory by default) as an http.Server. */
  export default function dynalite(options?: DynaliteOptions): Server;
}

// The index baseline: LevelDB through the `level` package with the same keys
// and values the tracker's store writes per blob, in one batch per blob, but
// none of the store's reads, checks or serialised counter updates. It is the
// ceiling the storage engine allows on this disk.
import { Level } from 'level';
import type { ChunkInfo } from '../../common/protocol/types.js';

export interface SyntheticBlob {
  linkId: string;
  blobId: string;
  md5: string;
  size: number;
  chunks: ChunkInfo[];
  filename: string;
  created: string;
}

export class RawLevelIndex {
  readonly db: Level<string, unknown>;
  /** `count`: blobs in the database already (a copy of a filled store), for the counters record. */
  constructor(
    location: string,
    private count = 0,
  ) {
    this.db = new Level<string, unknown>(location, { valueEncoding: 'json' });
  }

  open(): Promise<void> {
    return this.db.open();
  }

  close(): Promise<void> {
    return this.db.close();
  }

  insert(b: SyntheticBlob): Promise<void> {
    this.count++;
    return this.db.batch([
      { type: 'put', key: 'l:' + b.linkId, value: { id: b.linkId, blobId: b.blobId, filename: b.filename, created: b.created } },
      { type: 'put', key: `r:${b.blobId}:${b.linkId}`, value: 1 },
      {
        type: 'put',
        key: 'b:' + b.blobId,
        value: { id: b.blobId, md5: b.md5, sha256: b.blobId, size: b.size, chunkSize: 8 << 20, chunks: b.chunks.length, nodes: ['bench-node'], refs: 1, created: b.created },
      },
      { type: 'put', key: 'c:' + b.blobId, value: b.chunks },
      { type: 'put', key: `m:${b.md5}:${b.blobId}`, value: 1 },
      { type: 'put', key: 's:counters', value: { blobs: this.count, links: this.count, bytesStored: 0, logicalBytes: 0, uniqueBytes: 0 } },
    ]);
  }

  /** What GET /f/<id> reads: the link, then its blob. */
  async lookup(linkId: string): Promise<boolean> {
    const link = (await this.db.get('l:' + linkId)) as { blobId: string } | undefined;
    if (!link) return false;
    return (await this.db.get('b:' + link.blobId)) !== undefined;
  }
}
